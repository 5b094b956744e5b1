// IQ4_XS (ggml block_iq4_xs, 136 bytes per 256 values): fp16 d, 16 bits scales_h, 4 bytes scales_l, 128 bytes of
// nibbles. Sub-block c (32 values) has a 6-bit scale: its low nibble in scales_l[c / 2] (low nibble for even c),
// its top two bits at bit 2c of scales_h. Its 16 bytes of nibbles hold values j (low) and j + 16 (high), each
// indexing IQ4_LEVELS; value = d * (scale - 32) * level.
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 136

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const uint scalesH = blk[2] | ((uint) blk[3] << 8);
    const int ls = ((blk[4 + c / 2] >> (4 * (c & 1))) & 0x0F) | (((scalesH >> (2 * c)) & 3) << 4);
    const float dl = d * (ls - 32);
    const __global uchar* qs = blk + 8 + 16 * c;
    for (int j = 0; j < 16; j++) {
        out[j] = dl * IQ4_LEVELS[qs[j] & 0x0F];
        out[j + 16] = dl * IQ4_LEVELS[qs[j] >> 4];
    }
}
