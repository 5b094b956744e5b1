// Adapts a block codec (BLOCK_ELEMS, BLOCK_BYTES, dequant_chunk) to matmul.cl: work is split in chunks of 32 values.
#define CHUNK 32
#define CHUNKS_PER_BLOCK (BLOCK_ELEMS / 32)
#define ROW_BYTES(cols) ((size_t) ((cols) / BLOCK_ELEMS) * BLOCK_BYTES)

inline void load_chunk(const __global uchar* row, int c, float* v) {
    dequant_chunk(row + (size_t) (c / CHUNKS_PER_BLOCK) * BLOCK_BYTES, c % CHUNKS_PER_BLOCK, v);
}
