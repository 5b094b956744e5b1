package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q5_0}: 32 values as {@code half d; uint8 qh[4]; uint8 qs[16]}. The low four bits of each value are
 * nibbles laid out as in {@link Q4_0Format}; bit {@code j} of the little-endian 32-bit {@code qh} is the fifth bit of
 * value {@code j}. Each decodes to {@code (q - 16) * d}; the quantizer mirrors Q4_0 with 16 in place of 8.
 */
public final class Q5_0Format extends BlockFormat {
    Q5_0Format() {
        super(GgmlType.Q5_0);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset);
        int qh = BlockIo.u32(src, offset + 2);
        for (int j = 0; j < 16; j++) {
            int q = BlockIo.u8(src, offset + 6 + j);
            int lo = (q & 0x0f) | (qh >>> j & 1) << 4;
            int hi = (q >>> 4) | (qh >>> (j + 16) & 1) << 4;
            dst[dstOffset + j] = (lo - 16) * d;
            dst[dstOffset + j + 16] = (hi - 16) * d;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BlockIo.putF16(dst, offset, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(31, (int) (x[xo + j] * id + 16.5f));
            int hi = Math.min(31, (int) (x[xo + j + 16] * id + 16.5f));
            BlockIo.put8(dst, offset + 6 + j, (lo & 0x0f) | (hi & 0x0f) << 4);
            qh |= (lo >>> 4 & 1) << j;
            qh |= (hi >>> 4 & 1) << (j + 16);
        }
        BlockIo.put32(dst, offset + 2, qh);
    }
}
