// Writes n floats into a KV cache buffer at element dst0, converting to the cache's type (see kv.cl).
// F32 and fp16 (round to nearest even): one work-item per value, global size >= n.
// Q8_0 (ggml's reference quantizer: d = max|x| / 127, q = round(x / d)): one work-item per block of 32, global
// size >= n / 32; dst0 and n are multiples of 32.
__kernel void store_kv(const __global uchar* src_, const long srco, __global uchar* dst, const long dst0,
                       const int type, const int n) {
    const int i = get_global_id(0);
    const __global float* src = AT(const __global float*, src_, srco);
    if (type == KV_Q8_0) {
        if (i >= n / 32) {
            return;
        }
        const __global float* x = src + (size_t) i * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            amax = fmax(amax, fabs(x[j]));
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        __global uchar* blk = dst + (size_t) (dst0 / 32 + i) * 34;
        vstore_half_rte(d, 0, (__global half*) blk);
        for (int j = 0; j < 32; j++) {
            ((__global char*) blk)[2 + j] = (char) round(x[j] * id);
        }
    } else if (i < n) {
        if (type == KV_F16) {
            vstore_half_rte(src[i], dst0 + i, (__global half*) dst);
        } else {
            ((__global float*) dst)[dst0 + i] = src[i];
        }
    }
}
