// Matrix kernels for one weight type. The files before this one define, for that type:
//   CHUNK             values per unit of work (32 for block formats, 1 for F32/F16/BF16)
//   ROW_BYTES(cols)   bytes of a row of `cols` values
//   load_chunk(row, c, v)  writes the CHUNK values of chunk c of the row at byte pointer row into v
// Weights stay in their GGUF encoding: rows of ROW_BYTES(cols) bytes one after another. Activations are float,
// token-major: x[t * cols + k], y[t * rows + r].

#define TILE_TOKENS 8

inline float dot_chunk(const float* v, const __global float* x) {
    float s = 0.0f;
    for (int i = 0; i < CHUNK; i++) {
        s += v[i] * x[i];
    }
    return s;
}

// Sums acc[0..nt) over the work-group into scratch[t * lsz] (scratch holds TILE_TOKENS * lsz floats).
inline void reduce_tile(__local float* scratch, const float* acc, const int nt) {
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    for (int t = 0; t < TILE_TOKENS; t++) {
        scratch[t * lsz + lid] = acc[t];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            for (int t = 0; t < nt; t++) {
                scratch[t * lsz + lid] += scratch[t * lsz + lid + s];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// One work-group per (row, tile of up to TILE_TOKENS tokens): the work-items take turns over the row's chunks, and
// each chunk is decoded once for every token of the tile. With `fused`, u is a second matrix of the same shape and
// the result is silu(w.x) * (u.x) (SwiGLU); the kernels below pass a constant, so the unused half compiles away.
inline void matmul_tile(const __global uchar* w, const __global uchar* u, const int cols, const int rows,
                        const __global float* x, const int tokens, __global float* y, __local float* scratch,
                        const int fused) {
    const int row = get_group_id(0);
    const int t0 = get_group_id(1) * TILE_TOKENS;
    const int nt = min(TILE_TOKENS, tokens - t0);
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    const size_t rowBytes = ROW_BYTES(cols);
    const __global uchar* wrow = w + row * rowBytes;
    const __global uchar* urow = u + row * rowBytes;
    float acc[TILE_TOKENS];
    float accu[TILE_TOKENS];
    for (int t = 0; t < TILE_TOKENS; t++) {
        acc[t] = 0.0f;
        accu[t] = 0.0f;
    }
    for (int c = lid; c < cols / CHUNK; c += lsz) {
        float v[CHUNK];
        float vu[CHUNK];
        load_chunk(wrow, c, v);
        if (fused) {
            load_chunk(urow, c, vu);
        }
        for (int t = 0; t < nt; t++) {
            const __global float* xc = x + (size_t) (t0 + t) * cols + c * CHUNK;
            acc[t] += dot_chunk(v, xc);
            if (fused) {
                accu[t] += dot_chunk(vu, xc);
            }
        }
    }
    reduce_tile(scratch, acc, nt);
    if (fused) {
        reduce_tile(scratch + TILE_TOKENS * lsz, accu, nt);
    }
    for (int t = lid; t < nt; t += lsz) {
        const float g = scratch[t * lsz];
        y[(size_t) (t0 + t) * rows + row] = fused ? g / (1.0f + exp(-g)) * scratch[(TILE_TOKENS + t) * lsz] : g;
    }
}

// y = x W^T. Global size (rows * local, ceil(tokens / TILE_TOKENS)); scratch: TILE_TOKENS * local floats.
__kernel void matmul(const __global uchar* w_, const long wo, const int cols, const int rows,
                     const __global uchar* x_, const long xo, const int tokens, __global uchar* y_, const long yo,
                     __local float* scratch) {
    matmul_tile(w_ + wo, w_ + wo, cols, rows, AT(const __global float*, x_, xo), tokens,
                AT(__global float*, y_, yo), scratch, 0);
}

// y = silu(x G^T) * (x U^T): the SwiGLU feed-forward input. As matmul, with 2 * TILE_TOKENS * local floats scratch.
__kernel void matmul_swiglu(const __global uchar* g_, const long go, const __global uchar* u_, const long uo,
                            const int cols, const int rows, const __global uchar* x_, const long xo,
                            const int tokens, __global uchar* y_, const long yo, __local float* scratch) {
    matmul_tile(g_ + go, u_ + uo, cols, rows, AT(const __global float*, x_, xo), tokens,
                AT(__global float*, y_, yo), scratch, 1);
}

// out[t] = table[ids[t]] as floats: embedding lookup. Global size (cols / CHUNK, tokens).
__kernel void get_rows(const __global uchar* table_, const long tableo, const int cols, const __global int* ids,
                       __global uchar* out_, const long outo) {
    const int c = get_global_id(0);
    const int t = get_global_id(1);
    float v[CHUNK];
    load_chunk(table_ + tableo + (size_t) ids[t] * ROW_BYTES(cols), c, v);
    __global float* o = AT(__global float*, out_, outo) + (size_t) t * cols + c * CHUNK;
    for (int i = 0; i < CHUNK; i++) {
        o[i] = v[i];
    }
}
