// Helpers shared by every Ristretto program; the host puts this file first in each program.
//
// Buffer arguments: every kernel takes each buffer as raw bytes followed by a byte offset (a long), so the host can
// pass a row range of a tensor without sub-buffers (whose origin must meet the device's base alignment). AT() turns
// such a pair into a typed pointer.
//
// fp16 values are read with vload_half, which is core OpenCL C (no cl_khr_fp16 needed) but requires a 2-byte
// aligned address. Every GGUF block format has an even block size and keeps its fp16 fields at even offsets within
// the block, and the host only passes offsets of whole rows or blocks, so every fp16 field read here is aligned.

#define AT(T, base, offset) ((T) ((base) + (offset)))

inline float half_at(const __global uchar* p) {
    return vload_half(0, (const __global half*) p);
}

// Sum of a work-group's values; the local size must be a power of two. Every work-item gets the total.
inline float group_sum(__local float* scratch, float v) {
    const int lid = get_local_id(0);
    const int n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// The 6-bit scale and minimum of sub-block j (0..7) of a Q4_K or Q5_K block, packed in 12 bytes: sub-blocks 0-3
// keep theirs in the low 6 bits of bytes j and j + 4; sub-blocks 4-7 split theirs between a nibble of byte j + 4 and
// the top two bits of bytes j - 4 and j.
inline int2 scale_min_k4(int j, const __global uchar* s) {
    if (j < 4) {
        return (int2) (s[j] & 63, s[j + 4] & 63);
    }
    return (int2) ((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));
}

// The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl).
__constant char IQ4_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
