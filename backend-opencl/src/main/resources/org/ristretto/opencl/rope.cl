// Rotary position embedding, in place on x[token][head][headDim]. Of each head, the first nRot values rotate in
// pairs; the rest pass through. Pair i at position p turns by p * freq[i] and its cosine and sine are scaled by
// mscale: the host folds the base, the per-pair frequency factors and YaRN's interpolation ramp into freq (nRot / 2
// values) and YaRN's magnitude correction into mscale, so one kernel serves every variant.
//   normal layout (llama):  pair i is (2i, 2i + 1)
//   NeoX layout (qwen, ...): pair i is (i, i + nRot / 2)
// Global size (nRot / 2, heads, tokens); token t sits at position pos0 + t.
__kernel void rope(__global uchar* x_, const long xo, const int heads, const int headDim, const int nRot,
                   const int pos0, const __global float* freq, const float mscale, const int neox) {
    const int i = get_global_id(0);
    const int h = get_global_id(1);
    const int t = get_global_id(2);
    const float theta = (float) (pos0 + t) * freq[i];
    const float c = cos(theta) * mscale;
    const float s = sin(theta) * mscale;
    __global float* v = AT(__global float*, x_, xo) + ((size_t) t * heads + h) * headDim;
    const int i0 = neox ? i : 2 * i;
    const int i1 = neox ? i + nRot / 2 : 2 * i + 1;
    const float x0 = v[i0];
    const float x1 = v[i1];
    v[i0] = x0 * c - x1 * s;
    v[i1] = x0 * s + x1 * c;
}
