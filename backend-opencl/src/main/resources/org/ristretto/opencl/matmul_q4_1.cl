// Q4_1 (ggml block_q4_1, 20 bytes per 32 values): fp16 scale d, fp16 minimum m, then 16 bytes of nibbles laid out
// as in Q4_0; value = d * nibble + m.
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 20

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const float m = half_at(blk + 2);
    const __global uchar* qs = blk + 4;
    for (int j = 0; j < 16; j++) {
        out[j] = d * (qs[j] & 0x0F) + m;
        out[j + 16] = d * (qs[j] >> 4) + m;
    }
}
