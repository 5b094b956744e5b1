// Q4_K (ggml block_q4_K, 144 bytes per 256 values): fp16 d, fp16 dmin, 12 bytes of 6-bit scales and minimums for
// eight sub-blocks of 32, then 128 bytes of nibbles. Sub-blocks 2p and 2p + 1 share bytes 32p .. 32p + 31: low
// nibbles for the first, high for the second. value = d * scale * nibble - dmin * min.
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 144

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const int2 sm = scale_min_k4(c, blk + 4);
    const float d1 = half_at(blk) * sm.x;
    const float m1 = half_at(blk + 2) * sm.y;
    const __global uchar* q = blk + 16 + (c >> 1) * 32;
    const int shift = (c & 1) * 4;
    for (int l = 0; l < 32; l++) {
        out[l] = d1 * ((q[l] >> shift) & 0x0F) - m1;
    }
}
