package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/** {@link GgmlType#F32}: little-endian IEEE floats, copied unchanged both ways. */
final class F32Format extends BlockFormat {
    F32Format() {
        super(GgmlType.F32);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        dst[dstOffset] = BlockIo.f32(src, offset);
    }

    @Override
    void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset) {
        BlockIo.putF32(dst, offset, src[srcOffset]);
    }
}
