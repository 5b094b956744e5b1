// Q4_0 (ggml block_q4_0, 18 bytes per 32 values): fp16 scale d, then 16 bytes of nibbles. Byte j holds value j in its
// low nibble and value j + 16 in its high nibble; value = d * (nibble - 8).
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 18

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const __global uchar* qs = blk + 2;
    for (int j = 0; j < 16; j++) {
        out[j] = d * ((int) (qs[j] & 0x0F) - 8);
        out[j + 16] = d * ((int) (qs[j] >> 4) - 8);
    }
}
