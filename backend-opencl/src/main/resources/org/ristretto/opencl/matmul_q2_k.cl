// Q2_K (ggml block_q2_K, 84 bytes per 256 values): 16 bytes of 4-bit scale / 4-bit minimum pairs (one per 16
// values), 64 bytes qs of 2-bit values, fp16 d and dmin at bytes 80 and 82. Each half of 128 values uses 32 bytes of
// qs; its four 32-value sub-blocks j take bits 2j, 2j + 1 of qs[l]. value = d * scale * q - dmin * min.
#define BLOCK_ELEMS 256
#define BLOCK_BYTES 84

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const int half_ = c >> 2;
    const int j = c & 3;
    const float d = half_at(blk + 80);
    const float dmin = half_at(blk + 82);
    const __global uchar* q = blk + 16 + half_ * 32;
    const int shift = 2 * j;
    const uchar s0 = blk[half_ * 8 + 2 * j];
    const uchar s1 = blk[half_ * 8 + 2 * j + 1];
    const float dl0 = d * (s0 & 0x0F), ml0 = dmin * (s0 >> 4);
    const float dl1 = d * (s1 & 0x0F), ml1 = dmin * (s1 >> 4);
    for (int l = 0; l < 32; l++) {
        const int v = (q[l] >> shift) & 3;
        out[l] = l < 16 ? dl0 * v - ml0 : dl1 * v - ml1;
    }
}
