package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q5_1}: 32 values as {@code half d; half m; uint8 qh[4]; uint8 qs[16]}, bits laid out as in
 * {@link Q5_0Format}, each decoding to {@code q * d + m}. The quantizer spans [min, max] with 31 steps, rounding half
 * up.
 */
public final class Q5_1Format extends BlockFormat {
    Q5_1Format() {
        super(GgmlType.Q5_1);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset);
        float m = BlockIo.f16(src, offset + 2);
        int qh = BlockIo.u32(src, offset + 4);
        for (int j = 0; j < 16; j++) {
            int q = BlockIo.u8(src, offset + 8 + j);
            int lo = (q & 0x0f) | (qh >>> j & 1) << 4;
            int hi = (q >>> 4) | (qh >>> (j + 16) & 1) << 4;
            dst[dstOffset + j] = lo * d + m;
            dst[dstOffset + j + 16] = hi * d + m;
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
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BlockIo.putF16(dst, offset, d);
        BlockIo.putF16(dst, offset + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            // ggml converts to uint8 without clamping; the value never exceeds 31.
            int lo = (int) ((x[xo + j] - min) * id + 0.5f);
            int hi = (int) ((x[xo + j + 16] - min) * id + 0.5f);
            BlockIo.put8(dst, offset + 8 + j, (lo & 0x0f) | (hi & 0x0f) << 4);
            qh |= (lo >>> 4 & 1) << j;
            qh |= (hi >>> 4 & 1) << (j + 16);
        }
        BlockIo.put32(dst, offset + 4, qh);
    }
}
