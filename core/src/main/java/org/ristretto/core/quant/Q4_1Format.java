package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q4_1}: 32 values as {@code half d; half m; uint8 qs[16]}, nibbles laid out as in {@link Q4_0Format},
 * each decoding to {@code nibble * d + m}. The quantizer spans [min, max] with 15 steps and rounds half up.
 */
public final class Q4_1Format extends BlockFormat {
    Q4_1Format() {
        super(GgmlType.Q4_1);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset);
        float m = BlockIo.f16(src, offset + 2);
        for (int j = 0; j < 16; j++) {
            int q = BlockIo.u8(src, offset + 4 + j);
            dst[dstOffset + j] = (q & 0x0f) * d + m;
            dst[dstOffset + j + 16] = (q >>> 4) * d + m;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BlockIo.putF16(dst, offset, d);
        BlockIo.putF16(dst, offset + 2, min);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) ((x[xo + j] - min) * id + 0.5f));
            int hi = Math.min(15, (int) ((x[xo + j + 16] - min) * id + 0.5f));
            BlockIo.put8(dst, offset + 4 + j, lo | hi << 4);
        }
    }
}
