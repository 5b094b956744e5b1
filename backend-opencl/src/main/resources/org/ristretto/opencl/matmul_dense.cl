// Matrix kernels for an unblocked weight type (F32, F16, BF16). The file before this one defines
//   load_elem(row, k)  the k-th value of the row starting at byte pointer row,  ELEM_BYTES  bytes per value.
// Rows may have any length. Activations are float, token-major: x[t * cols + k], y[t * rows + r].

// y = W x for one token. One work-group per row; work-items take turns over the row's values, so neighbouring
// work-items read neighbouring values.
__kernel void matvec(const __global uchar* w, const int cols, const __global float* x, __global float* y,
                     __local float* scratch) {
    const int row = get_group_id(0);
    const __global uchar* wrow = w + (size_t) row * cols * ELEM_BYTES;
    float sum = 0.0f;
    for (int k = get_local_id(0); k < cols; k += get_local_size(0)) {
        sum += load_elem(wrow, k) * x[k];
    }
    sum = group_sum(scratch, sum);
    if (get_local_id(0) == 0) {
        y[row] = sum;
    }
}

#define TILE_TOKENS 8

// Y = X W^T for several tokens. One work-group per (row, tile of TILE_TOKENS tokens); each weight is read once per
// tile. scratch holds TILE_TOKENS * local-size floats.
__kernel void matmul(const __global uchar* w, const int cols, const int rows, const __global float* x,
                     const int tokens, __global float* y, __local float* scratch) {
    const int row = get_group_id(0);
    const int t0 = get_group_id(1) * TILE_TOKENS;
    const int nt = min(TILE_TOKENS, tokens - t0);
    const int lid = get_local_id(0);
    const int lsz = get_local_size(0);
    const __global uchar* wrow = w + (size_t) row * cols * ELEM_BYTES;
    float acc[TILE_TOKENS];
    for (int t = 0; t < TILE_TOKENS; t++) {
        acc[t] = 0.0f;
    }
    for (int k = lid; k < cols; k += lsz) {
        const float wk = load_elem(wrow, k);
        for (int t = 0; t < nt; t++) {
            acc[t] += wk * x[(size_t) (t0 + t) * cols + k];
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

// out[t * cols + k] = table[ids[t], k]: embedding lookup. Global size (cols, tokens).
__kernel void get_rows(const __global uchar* table, const int cols, const __global int* ids, __global float* out) {
    const int k = get_global_id(0);
    const int t = get_global_id(1);
    out[(size_t) t * cols + k] = load_elem(table + (size_t) ids[t] * cols * ELEM_BYTES, k);
}
