// KV cache storage: element i of a cache buffer in its type (0 = F32, 1 = fp16, 2 = Q8_0 blocks of 32 values).
// A Q8_0 cache needs a head size that is a multiple of 32, so a head never straddles a block.

#define KV_F32 0
#define KV_F16 1
#define KV_Q8_0 2

inline float kv_at(const __global uchar* cache, size_t i, int type) {
    if (type == KV_F16) {
        return vload_half(i, (const __global half*) cache);
    }
    if (type == KV_Q8_0) {
        const __global uchar* blk = cache + (i >> 5) * 34;
        return half_at(blk) * ((const __global char*) blk)[2 + (i & 31)];
    }
    return ((const __global float*) cache)[i];
}
