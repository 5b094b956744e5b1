// BF16 weights: the upper 16 bits of a float.
#define ELEM_BYTES 2

inline float load_elem(const __global uchar* row, int k) {
    return as_float(((uint) ((const __global ushort*) row)[k]) << 16);
}

// Values k .. k + 7.
inline float8 load8(const __global uchar* row, int k) {
    const uint8 bits = convert_uint8(vload8(0, ((const __global ushort*) row) + k));
    return as_float8(bits << 16);
}
