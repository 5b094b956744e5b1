// Q5_0 (ggml block_q5_0, 22 bytes per 32 values): fp16 scale d, 32 fifth bits qh (little-endian uint32, bit i for
// value i), 16 bytes of low nibbles laid out as in Q4_0; value = d * ((nibble | fifth bit << 4) - 16).
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 22

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    // qh sits at offset 2, not 4-byte aligned: assemble it from bytes.
    const uint qh = blk[2] | ((uint) blk[3] << 8) | ((uint) blk[4] << 16) | ((uint) blk[5] << 24);
    const __global uchar* qs = blk + 6;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
        const int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        out[j] = d * (lo - 16);
        out[j + 16] = d * (hi - 16);
    }
}
