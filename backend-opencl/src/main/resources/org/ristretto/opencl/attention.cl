// Causal multi-head attention over a KV cache held on the device, flash-style: keys and values are visited in tiles
// with an online softmax (a running maximum and denominator rescale the partial output), so the scores of the whole
// context are never stored.
//
// Cache of one layer: the key (or value) of position p and KV head g is headDim values at element
// (p * kvHeads + g) * headDim of its buffer, stored as kvType (see kv.cl).
// Queries and output: [token][head][headDim] floats; token t sits at position pos0 + t and sees positions 0..pos0+t.
// GQA: head h reads KV head h / (heads / kvHeads).
//
// One work-group per (head, token). Local memory: qs and os (headDim each), ks (tile * headDim), ps (tile).
__kernel void attention(const __global uchar* q_, const long qo, const __global uchar* kc, const __global uchar* vc,
                        const int kvType, __global uchar* out_, const long outo, const int heads, const int kvHeads,
                        const int headDim, const int pos0, const float scale, const int tile,
                        __local float* qs, __local float* os, __local float* ks, __local float* ps) {
    const int h = get_group_id(0);
    const int t = get_group_id(1);
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    const int g = h / (heads / kvHeads);
    const int last = pos0 + t;
    const size_t hq = ((size_t) t * heads + h) * headDim;
    const size_t stride = (size_t) kvHeads * headDim;
    const size_t base = (size_t) g * headDim;
    const __global float* q = AT(const __global float*, q_, qo) + hq;

    for (int d = lid; d < headDim; d += lsz) {
        qs[d] = q[d] * scale;
        os[d] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int p0 = 0; p0 <= last; p0 += tile) {
        const int n = min(tile, last + 1 - p0);
        for (int e = lid; e < n * headDim; e += lsz) {
            const int j = e / headDim;
            ks[e] = kv_at(kc, base + (size_t) (p0 + j) * stride + (e - j * headDim), kvType);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int j = lid; j < n; j += lsz) {
            float s = 0.0f;
            for (int d = 0; d < headDim; d++) {
                s += qs[d] * ks[j * headDim + d];
            }
            ps[j] = s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // The tile is small: every work-item finds its maximum itself rather than synchronising a reduction.
        float mt = -INFINITY;
        for (int j = 0; j < n; j++) {
            mt = fmax(mt, ps[j]);
        }
        const float mNew = fmax(m, mt);
        const float corr = exp(m - mNew);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int j = lid; j < n; j += lsz) {
            ps[j] = exp(ps[j] - mNew);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            sum += ps[j];
        }
        l = l * corr + sum;
        m = mNew;
        for (int d = lid; d < headDim; d += lsz) {
            float acc = os[d] * corr;
            for (int j = 0; j < n; j++) {
                acc += ps[j] * kv_at(vc, base + (size_t) (p0 + j) * stride + d, kvType);
            }
            os[d] = acc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    __global float* out = AT(__global float*, out_, outo) + hq;
    for (int d = lid; d < headDim; d += lsz) {
        out[d] = os[d] / l;
    }
}
