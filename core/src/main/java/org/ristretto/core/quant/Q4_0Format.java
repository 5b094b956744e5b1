package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q4_0}: 32 values as {@code half d; uint8 qs[16]}. Value {@code j < 16} is the low nibble of
 * {@code qs[j]}, value {@code j + 16} its high nibble, each decoding to {@code (nibble - 8) * d}.
 *
 * <p>The quantizer makes the value of largest magnitude land exactly on -8 (so {@code d = max / -8} keeps its sign)
 * and truncates {@code x / d + 8.5}, i.e. rounds half up, clamped to 15.
 */
public final class Q4_0Format extends BlockFormat {
    Q4_0Format() {
        super(GgmlType.Q4_0);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset);
        for (int j = 0; j < 16; j++) {
            int q = BlockIo.u8(src, offset + 2 + j);
            dst[dstOffset + j] = ((q & 0x0f) - 8) * d;
            dst[dstOffset + j + 16] = ((q >>> 4) - 8) * d;
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
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BlockIo.putF16(dst, offset, d);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[xo + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[xo + j + 16] * id + 8.5f));
            BlockIo.put8(dst, offset + 2 + j, lo | hi << 4);
        }
    }
}
