// IQ4_NL (ggml block_iq4_nl, 18 bytes per 32 values): fp16 scale d, then 16 bytes of nibbles laid out as in Q4_0,
// each indexing the non-linear levels IQ4_LEVELS; value = d * level.
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 18

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const __global uchar* qs = blk + 2;
    for (int j = 0; j < 16; j++) {
        out[j] = d * IQ4_LEVELS[qs[j] & 0x0F];
        out[j + 16] = d * IQ4_LEVELS[qs[j] >> 4];
    }
}
