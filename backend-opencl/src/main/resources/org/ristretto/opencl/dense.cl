// Adapts an unblocked type (ELEM_BYTES, load_elem, load8) to matmul.cl: a chunk is one value, so rows may have any length.
#define CHUNK 1
// matmul_rows works in runs of ROW_RUN values decoded by load_run, then value by value for the rest of the row.
#define ROW_RUN 8
#define ROW_BYTES(cols) ((size_t) (cols) * ELEM_BYTES)

inline void load_chunk(const __global uchar* row, int c, float* v) {
    v[0] = load_elem(row, c);
}

inline void load_run(const __global uchar* row, int r, float* v) {
    vstore8(load8(row, r * ROW_RUN), 0, v);
}
