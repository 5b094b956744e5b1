// Q6_K (ggml block_q6_K, 210 bytes per 256 values): 128 bytes ql of low nibbles, 64 bytes qh of high 2-bit pairs,
// 16 signed 8-bit scales (one per 16 values), fp16 d at byte 208. Each half of 128 values uses 64 bytes of ql and
// 32 of qh; its four 32-value sub-blocks k take the low (k < 2) or high nibble of ql[32 * (k & 1) + l] and bits
// 2k, 2k + 1 of qh[l]. value = d * scale * (6-bit q - 32).
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 210

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const int half_ = c >> 2;
    const int k = c & 3;
    const float d = half_at(blk + 208);
    const __global uchar* ql = blk + half_ * 64 + (k & 1) * 32;
    const __global uchar* qh = blk + 128 + half_ * 32;
    const __global char* sc = (const __global char*) (blk + 192) + half_ * 8 + 2 * k;
    const int lshift = (k >> 1) * 4;
    const int hshift = 2 * k;
    for (int l = 0; l < 32; l++) {
        const int q = (((ql[l] >> lshift) & 0x0F) | (((qh[l] >> hshift) & 3) << 4)) - 32;
        out[l] = d * sc[l >> 4] * q;
    }
}
