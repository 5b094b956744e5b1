package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#IQ4_NL}: 32 values as {@code half d; uint8 qs[16]}, nibbles laid out as in {@link Q4_0Format}, each
 * decoding to {@code d * kvalues_iq4nl[nibble]} (a fixed non-linear 16-level grid). Dequantization only.
 */
public final class Iq4_NlFormat extends BlockFormat {
    Iq4_NlFormat() {
        super(GgmlType.IQ4_NL);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset);
        for (int j = 0; j < 16; j++) {
            int q = BlockIo.u8(src, offset + 2 + j);
            dst[dstOffset + j] = d * Iq4Nl.level(q & 0x0f);
            dst[dstOffset + j + 16] = d * Iq4Nl.level(q >>> 4);
        }
    }

    /** @throws UnsupportedOperationException always: there is no reference quantizer for IQ4_NL here */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        throw Iq4Nl.noQuantizer(type());
    }

    @Override
    void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset) {
        throw Iq4Nl.noQuantizer(type());
    }
}
