// F16 weights: IEEE half floats, read with the core vload_half (rows start at even offsets).
#define ELEM_BYTES 2

inline float load_elem(const __global uchar* row, int k) {
    return vload_half(k, (const __global half*) row);
}
