package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/** {@link GgmlType#BF16}: little-endian bfloat16s, converted by {@link Bf16}. */
final class Bf16Format extends BlockFormat {
    Bf16Format() {
        super(GgmlType.BF16);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        dst[dstOffset] = Bf16.toFloat(BlockIo.i16(src, offset));
    }

    @Override
    void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset) {
        BlockIo.put16(dst, offset, Bf16.fromFloat(src[srcOffset]));
    }
}
