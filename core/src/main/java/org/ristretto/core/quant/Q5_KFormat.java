package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q5_K}: 256 values as {@code half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}.
 * Scales, mins and the low four bits are laid out as in {@link Q4_KFormat}; the fifth bit of value {@code 32m + l} is
 * bit {@code m} of {@code qh[l]}. Each value decodes to {@code scale * q - min}.
 */
public final class Q5_KFormat extends BlockFormat {
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    Q5_KFormat() {
        super(GgmlType.Q5_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        float dmin = BlockIo.f16(src, offset + DMIN);
        for (int i = 0; i < 256; i++) {
            int j = i / 32;
            float dl = d * KScales.scaleK4(src, offset + SCALES, j);
            float ml = dmin * KScales.minK4(src, offset + SCALES, j);
            int low = BlockIo.u8(src, offset + QS + 32 * (i / 64) + i % 32) >>> (4 * (j % 2)) & 0x0f;
            int high = BlockIo.u8(src, offset + QH + i % 32) >>> j & 1;
            dst[dstOffset + i] = dl * (low + 16 * high) - ml;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        int[] levels = new int[256];
        KQuantAsymmetric.quantizeScalesAndMins(x, xo, 31, -0.5f, 0.1f, 15, levels, dst, offset + D, offset + DMIN,
                offset + SCALES);
        BlockIo.clear(dst, offset + QH, 32);
        for (int i = 0; i < 256; i++) {
            if (levels[i] > 15) {
                long at = offset + QH + i % 32;
                BlockIo.put8(dst, at, BlockIo.u8(dst, at) | 1 << (i / 32));
            }
        }
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = levels[64 * c + l] & 0x0f;
                int hi = levels[64 * c + 32 + l] & 0x0f;
                BlockIo.put8(dst, offset + QS + 32 * c + l, lo | hi << 4);
            }
        }
    }
}
