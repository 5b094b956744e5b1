// Q8_0 (ggml block_q8_0, 34 bytes per 32 values): fp16 scale d, then 32 signed bytes q; value = d * q.
#define BLOCK_ELEMS 32
#define BLOCK_BYTES 34

inline void dequant_chunk(const __global uchar* blk, int c, float* out) {
    const float d = half_at(blk);
    const __global char* q = (const __global char*) (blk + 2);
    for (int i = 0; i < 32; i++) {
        out[i] = d * q[i];
    }
}
