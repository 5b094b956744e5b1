package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/** {@link GgmlType#F16}: little-endian IEEE halves, converted by {@link Fp16}. */
final class F16Format extends BlockFormat {
    F16Format() {
        super(GgmlType.F16);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        dst[dstOffset] = BlockIo.f16(src, offset);
    }

    @Override
    void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset) {
        BlockIo.putF16(dst, offset, src[srcOffset]);
    }
}
