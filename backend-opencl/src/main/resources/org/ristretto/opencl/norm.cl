// RMSNorm: out = x / sqrt(mean(x^2) + eps) * w, in groups of n values. One work-group per group; w has n values,
// so the host normalizes whole rows (n = row width) or each head (n = head size, Qwen3's Q/K norms) alike.
__kernel void rms_norm(const __global uchar* x_, const long xo, const __global uchar* w_, const long wo,
                       __global uchar* out_, const long outo, const int n, const float eps, __local float* scratch) {
    const size_t group = get_group_id(0);
    const __global float* x = AT(const __global float*, x_, xo) + group * n;
    const __global float* w = AT(const __global float*, w_, wo);
    __global float* y = AT(__global float*, out_, outo) + group * n;
    float ss = 0.0f;
    for (int i = get_local_id(0); i < n; i += get_local_size(0)) {
        ss += x[i] * x[i];
    }
    ss = group_sum(scratch, ss);
    const float scale = 1.0f / sqrt(ss / n + eps);
    for (int i = get_local_id(0); i < n; i += get_local_size(0)) {
        y[i] = x[i] * scale * w[i];
    }
}
