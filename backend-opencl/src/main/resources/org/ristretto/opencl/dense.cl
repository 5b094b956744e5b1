// Adapts an unblocked type (ELEM_BYTES, load_elem) to matmul.cl: a chunk is one value, so rows may have any length.
#define CHUNK 1
#define ROW_BYTES(cols) ((size_t) (cols) * ELEM_BYTES)

inline void load_chunk(const __global uchar* row, int c, float* v) {
    v[0] = load_elem(row, c);
}
