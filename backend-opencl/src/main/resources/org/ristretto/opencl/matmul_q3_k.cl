// Q3_K (ggml block_q3_K, 110 bytes per 256 values): 32 bytes hmask of third bits, 64 bytes qs of 2-bit pairs,
// 12 bytes of sixteen 6-bit scales (offset by 32), fp16 d at byte 108. Each half of 128 values uses 32 bytes of qs;
// its four 32-value sub-blocks j take bits 2j, 2j + 1 of qs[l]; sub-block c (0..7) takes bit c of hmask[l], and a
// clear bit subtracts 4. value = d * (scale - 32) * q.
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 110

// Scale i (0..15): its low nibble is in byte i (i < 8, low half) or byte i - 8 (high half), its top two bits in
// byte 8 + i % 4 at bit 2 * (i / 4).
inline int q3k_scale(const __global uchar* s, int i) {
    const int lo = i < 8 ? (s[i] & 0x0F) : (s[i - 8] >> 4);
    const int hi = (s[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
    return (lo | (hi << 4)) - 32;
}

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const int half_ = c >> 2;
    const int j = c & 3;
    const float d = half_at(blk + 108);
    const __global uchar* hm = blk;
    const __global uchar* q = blk + 32 + half_ * 32;
    const int shift = 2 * j;
    const float dl0 = d * q3k_scale(blk + 96, half_ * 8 + 2 * j);
    const float dl1 = d * q3k_scale(blk + 96, half_ * 8 + 2 * j + 1);
    for (int l = 0; l < 32; l++) {
        const int v = ((q[l] >> shift) & 3) - (((hm[l] >> c) & 1) ? 0 : 4);
        out[l] = (l < 16 ? dl0 : dl1) * v;
    }
}
