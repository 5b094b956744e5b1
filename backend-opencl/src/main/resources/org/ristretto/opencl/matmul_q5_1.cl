// Q5_1 (ggml block_q5_1, 24 bytes per 32 values): fp16 scale d, fp16 minimum m, 32 fifth bits qh, 16 bytes of low
// nibbles laid out as in Q4_0; value = d * (nibble | fifth bit << 4) + m.
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 24

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const float m = half_at(blk + 2);
    const uint qh = blk[4] | ((uint) blk[5] << 8) | ((uint) blk[6] << 16) | ((uint) blk[7] << 24);
    const __global uchar* qs = blk + 8;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
        const int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        out[j] = d * lo + m;
        out[j + 16] = d * hi + m;
    }
}
