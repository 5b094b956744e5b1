// Element-wise kernels over n floats. The host rounds the global size up to a multiple of the work-group size, so
// every kernel checks its index against n.

// out[i] = a[i] + b[i % bn]: a plain sum when bn = n, a bias added to every row when bn is the row width.
__kernel void add(const __global uchar* a_, const long ao, const __global uchar* b_, const long bo,
                  __global uchar* out_, const long outo, const int n, const int bn) {
    const int i = get_global_id(0);
    if (i < n) {
        AT(__global float*, out_, outo)[i] = AT(const __global float*, a_, ao)[i]
                + AT(const __global float*, b_, bo)[i % bn];
    }
}

// SwiGLU: out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
__kernel void swiglu(const __global uchar* g_, const long go, const __global uchar* u_, const long uo,
                     __global uchar* out_, const long outo, const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        const float g = AT(const __global float*, g_, go)[i];
        AT(__global float*, out_, outo)[i] = g / (1.0f + exp(-g)) * AT(const __global float*, u_, uo)[i];
    }
}

// out = x * s
__kernel void scale(const __global uchar* x_, const long xo, const float s, __global uchar* out_, const long outo,
                    const int n) {
    const int i = get_global_id(0);
    if (i < n) {
        AT(__global float*, out_, outo)[i] = AT(const __global float*, x_, xo)[i] * s;
    }
}

// Index of the largest value of each row of n floats, the lowest index among equals: greedy decoding reads back one
// int per row. One work-group per row; best and idx hold local-size values. Writes n for a row where no value
// compares greater than -infinity (all NaN).
__kernel void argmax(const __global uchar* x_, const long xo, const int n, __global int* result,
                     __local float* best, __local int* idx) {
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    const size_t row = get_group_id(0);
    const __global float* x = AT(const __global float*, x_, xo) + row * n;
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
        result[row] = idx[0];
    }
}
