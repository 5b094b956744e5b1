// F32 weights: plain little-endian floats.
#define ELEM_BYTES 4

inline float load_elem(const __global uchar* row, int k) {
    return ((const __global float*) row)[k];
}
