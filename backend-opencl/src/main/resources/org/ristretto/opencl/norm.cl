// RMSNorm: out = x / sqrt(mean(x^2) + eps) * w, row by row. One work-group per row of n values; w has n values
// (so per-head norms run with rows = tokens * heads and n = head size).
__kernel void rms_norm(const __global float* x, const __global float* w, __global float* out, const int n,
                       const float eps, __local float* scratch) {
    const size_t row = get_group_id(0);
    const __global float* xr = x + row * n;
    __global float* yr = out + row * n;
    float ss = 0.0f;
    for (int i = get_local_id(0); i < n; i += get_local_size(0)) {
        ss += xr[i] * xr[i];
    }
    ss = group_sum(scratch, ss);
    const float scale = 1.0f / sqrt(ss / n + eps);
    for (int i = get_local_id(0); i < n; i += get_local_size(0)) {
        yr[i] = xr[i] * scale * w[i];
    }
}
