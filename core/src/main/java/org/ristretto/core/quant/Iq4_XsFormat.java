package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#IQ4_XS}: 256 values as {@code half d; uint16 scales_h; uint8 scales_l[4]; uint8 qs[128]}. Sub-block
 * {@code j} (32 values) has the 6-bit scale {@code ls_j}: low nibble {@code j % 2} of {@code scales_l[j / 2]}, top
 * two bits from bits {@code 2j} of {@code scales_h}; its values are the nibbles of {@code qs[16j .. 16j + 15]} (low
 * nibbles first, as IQ4_NL) and decode to {@code d * (ls_j - 32) * kvalues_iq4nl[nibble]}. Dequantization only.
 */
public final class Iq4_XsFormat extends BlockFormat {
    private static final int D = 0;
    private static final int SCALES_H = 2;
    private static final int SCALES_L = 4;
    private static final int QS = 8;

    Iq4_XsFormat() {
        super(GgmlType.IQ4_XS);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        int scalesH = BlockIo.i16(src, offset + SCALES_H) & 0xffff;
        for (int j = 0; j < 8; j++) {
            int ls = (BlockIo.u8(src, offset + SCALES_L + j / 2) >>> (4 * (j % 2)) & 0x0f)
                    | (scalesH >>> (2 * j) & 3) << 4;
            float dl = d * (ls - 32);
            for (int l = 0; l < 16; l++) {
                int q = BlockIo.u8(src, offset + QS + 16 * j + l);
                dst[dstOffset + 32 * j + l] = dl * Iq4Nl.level(q & 0x0f);
                dst[dstOffset + 32 * j + 16 + l] = dl * Iq4Nl.level(q >>> 4);
            }
        }
    }

    /** @throws UnsupportedOperationException always: there is no reference quantizer for IQ4_XS here */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        throw Iq4Nl.noQuantizer(type());
    }

    @Override
    void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset) {
        throw Iq4Nl.noQuantizer(type());
    }
}
