// Q5_K (ggml block_q5_K, 176 bytes per 256 values): fp16 d, fp16 dmin, 12 bytes of 6-bit scales and minimums (as in
// Q4_K), 32 bytes qh of fifth bits (bit c of qh[l] belongs to value l of sub-block c), then 128 bytes of nibbles laid
// out as in Q4_K. value = d * scale * (nibble + 16 * fifth bit) - dmin * min.
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 176

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const int2 sm = scale_min_k4(c, blk + 4);
    const float d1 = half_at(blk) * sm.x;
    const float m1 = half_at(blk + 2) * sm.y;
    const __global uchar* qh = blk + 16;
    const __global uchar* q = blk + 48 + (c >> 1) * 32;
    const int shift = (c & 1) * 4;
    for (int l = 0; l < 32; l++) {
        out[l] = d1 * (((q[l] >> shift) & 0x0F) + (((qh[l] >> c) & 1) << 4)) - m1;
    }
}
