// Element-wise kernels over n floats. The host rounds the global size up to a multiple of the work-group size, so
// every kernel checks its index against n.

// out = a + b
__kernel void add(const __global float* a, const __global float* b, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        out[i] = a[i] + b[i];
    }
}

// out[r][k] = x[r][k] + bias[k] for rows of `cols` values (a bias added to every token).
__kernel void add_row(const __global float* x, const __global float* bias, __global float* out, const int n,
                      const int cols) {
    const int i = get_global_id(0);
    if (i < n) {
        out[i] = x[i] + bias[i % cols];
    }
}

// SwiGLU: out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
__kernel void swiglu(const __global float* gate, const __global float* up, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        const float g = gate[i];
        out[i] = g / (1.0f + exp(-g)) * up[i];
    }
}

// out = x * s
__kernel void scale(const __global float* x, const float s, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        out[i] = x[i] * s;
    }
}

// Copies n floats to dst starting at element dstOffset, converting to fp16 (round to nearest even) when dstF16 is
// set: how new keys and values enter the KV cache.
__kernel void store(const __global float* src, __global uchar* dst, const long dstOffset, const int dstF16,
                    const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        if (dstF16) {
            vstore_half_rte(src[i], dstOffset + i, (__global half*) dst);
        } else {
            ((__global float*) dst)[dstOffset + i] = src[i];
        }
    }
}

// Index of the largest of n values, the lowest index among equals: greedy decoding reads back one int.
// One work-group; scratch holds local-size floats and idx local-size ints. Writes n when no value compares
// greater than -infinity (all NaN or -infinity).
__kernel void argmax(const __global float* x, const int n, __global int* result, __local float* best,
                     __local int* idx) {
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    float bv = -INFINITY;
    int bi = n;
    for (int i = lid; i < n; i += lsz) {
        const float v = x[i];
        if (v > bv) {
            bv = v;
            bi = i;
        }
    }
    best[lid] = bv;
    idx[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            const float ov = best[lid + s];
            const int oi = idx[lid + s];
            if (ov > best[lid] || (ov == best[lid] && oi < idx[lid])) {
                best[lid] = ov;
                idx[lid] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        result[0] = idx[0];
    }
}
