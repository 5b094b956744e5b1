// Matrix kernels for a block-quantized weight type. The file before this one defines the type's codec:
//   BLOCK_ELEMS  values per block (32 or 256),  BLOCK_BYTES  bytes per block,
//   dequant_chunk(blk, c, out)  writes the 32 values of chunk c (0 <= c < BLOCK_ELEMS / 32) of the block at blk.
// Weights stay in their GGUF blocks in device memory: a row of `cols` values is cols / BLOCK_ELEMS blocks, rows
// follow each other. Activations are float, token-major: x[t * cols + k], y[t * rows + r].

#define CHUNKS_PER_BLOCK (BLOCK_ELEMS / 32)

inline float dot_chunk(const __global uchar* wrow, int c, const __global float* x) {
    float v[32];
    dequant_chunk(wrow + (size_t) (c / CHUNKS_PER_BLOCK) * BLOCK_BYTES, c % CHUNKS_PER_BLOCK, v);
    const __global float* xc = x + c * 32;
    float s = 0.0f;
    for (int i = 0; i < 32; i++) {
        s += v[i] * xc[i];
    }
    return s;
}

// y = W x for one token. One work-group per row; its work-items take turns over the row's 32-value chunks.
__kernel void matvec(const __global uchar* w, const int cols, const __global float* x, __global float* y,
                     __local float* scratch) {
    const int row = get_group_id(0);
    const int chunks = cols / 32;
    const __global uchar* wrow = w + (size_t) row * (cols / BLOCK_ELEMS) * BLOCK_BYTES;
    float sum = 0.0f;
    for (int c = get_local_id(0); c < chunks; c += get_local_size(0)) {
        sum += dot_chunk(wrow, c, x);
    }
    sum = group_sum(scratch, sum);
    if (get_local_id(0) == 0) {
        y[row] = sum;
    }
}

#define TILE_TOKENS 8

// Y = X W^T for several tokens. One work-group per (row, tile of TILE_TOKENS tokens): each chunk of weights is
// dequantized once and used for every token of the tile. scratch holds TILE_TOKENS * local-size floats.
__kernel void matmul(const __global uchar* w, const int cols, const int rows, const __global float* x,
                     const int tokens, __global float* y, __local float* scratch) {
    const int row = get_group_id(0);
    const int t0 = get_group_id(1) * TILE_TOKENS;
    const int nt = min(TILE_TOKENS, tokens - t0);
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    const int chunks = cols / 32;
    const __global uchar* wrow = w + (size_t) row * (cols / BLOCK_ELEMS) * BLOCK_BYTES;
    float acc[TILE_TOKENS];
    for (int t = 0; t < TILE_TOKENS; t++) {
        acc[t] = 0.0f;
    }
    for (int c = lid; c < chunks; c += lsz) {
        float v[32];
        dequant_chunk(wrow + (size_t) (c / CHUNKS_PER_BLOCK) * BLOCK_BYTES, c % CHUNKS_PER_BLOCK, v);
        for (int t = 0; t < nt; t++) {
            const __global float* xc = x + (size_t) (t0 + t) * cols + c * 32;
            float s = 0.0f;
            for (int i = 0; i < 32; i++) {
                s += v[i] * xc[i];
            }
            acc[t] += s;
        }
    }
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
    for (int t = lid; t < nt; t += lsz) {
        y[(size_t) (t0 + t) * rows + row] = scratch[t * lsz];
    }
}

// out[t * cols + k] = table[ids[t], k]: embedding lookup. Global size (cols / 32, tokens).
__kernel void get_rows(const __global uchar* table, const int cols, const __global int* ids, __global float* out) {
    const int c = get_global_id(0);
    const int t = get_global_id(1);
    const __global uchar* row = table + (size_t) ids[t] * (cols / BLOCK_ELEMS) * BLOCK_BYTES;
    float v[32];
    dequant_chunk(row + (size_t) (c / CHUNKS_PER_BLOCK) * BLOCK_BYTES, c % CHUNKS_PER_BLOCK, v);
    __global float* o = out + (size_t) t * cols + c * 32;
    for (int i = 0; i < 32; i++) {
        o[i] = v[i];
    }
}
