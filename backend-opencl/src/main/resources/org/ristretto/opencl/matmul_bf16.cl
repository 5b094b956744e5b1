// BF16 weights: the upper 16 bits of a float.
#define ELEM_BYTES 2

inline float load_elem(const __global uchar* row, int k) {
    return as_float(((uint) ((const __global ushort*) row)[k]) << 16);
}
