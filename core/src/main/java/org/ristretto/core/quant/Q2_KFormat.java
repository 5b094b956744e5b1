package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q2_K}: 256 values as {@code uint8 scales[16]; uint8 qs[64]; half d; half dmin}. Sub-block
 * {@code j} (16 values) has scale {@code d * (scales[j] & 15)} and min {@code dmin * (scales[j] >> 4)}; value
 * {@code 128c + 32k + l} is bits {@code 2k..2k+1} of {@code qs[32c + l]} and decodes to {@code scale * q - min}.
 */
public final class Q2_KFormat extends BlockFormat {
    private static final int SCALES = 0;
    private static final int QS = 16;
    private static final int D = 80;
    private static final int DMIN = 82;

    Q2_KFormat() {
        super(GgmlType.Q2_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        float dmin = BlockIo.f16(src, offset + DMIN);
        for (int i = 0; i < 256; i++) {
            int sc = BlockIo.u8(src, offset + SCALES + i / 16);
            float dl = d * (sc & 0x0f);
            float ml = dmin * (sc >>> 4);
            int q = BlockIo.u8(src, offset + QS + 32 * (i / 128) + i % 32) >>> (2 * (i % 128 / 32)) & 3;
            dst[dstOffset + i] = dl * q - ml;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        int[] levels = new int[256];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                weights[l] = Math.abs(x[xo + 16 * j + l]);
            }
            scales[j] = ScaleSearch.makeQkx2Quants(16, 3, x, xo + 16 * j, weights, levels, 16 * j, mins, j,
                    -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        int[] packed = new int[16];
        if (maxScale > 0) {
            float iscale = 15.0f / maxScale;
            for (int j = 0; j < 16; j++) {
                packed[j] = ScaleSearch.nearestInt(iscale * scales[j]) & 0xff;
            }
            BlockIo.putF16(dst, offset + D, maxScale / 15.0f);
        } else {
            BlockIo.putF16(dst, offset + D, 0.0f);
        }
        if (maxMin > 0) {
            float iscale = 15.0f / maxMin;
            for (int j = 0; j < 16; j++) {
                packed[j] = (packed[j] | ScaleSearch.nearestInt(iscale * mins[j]) << 4) & 0xff;
            }
            BlockIo.putF16(dst, offset + DMIN, maxMin / 15.0f);
        } else {
            BlockIo.putF16(dst, offset + DMIN, 0.0f);
        }
        // Requantize against the stored (rounded) scales, as ggml does.
        float d = BlockIo.f16(dst, offset + D);
        float dmin = BlockIo.f16(dst, offset + DMIN);
        for (int j = 0; j < 16; j++) {
            float dl = d * (packed[j] & 0x0f);
            if (dl == 0) {
                continue;
            }
            float ml = dmin * (packed[j] >>> 4);
            for (int ii = 0; ii < 16; ii++) {
                int l = ScaleSearch.nearestInt((x[xo + 16 * j + ii] + ml) / dl);
                levels[16 * j + ii] = ScaleSearch.clamp(l, 0, 3);
            }
        }
        for (int j = 0; j < 16; j++) {
            BlockIo.put8(dst, offset + SCALES + j, packed[j]);
        }
        packTwoBit(levels, dst, offset + QS);
    }

    /** Packs 256 two-bit levels: byte {@code 32c + l} holds values {@code 128c + 32k + l} in bits {@code 2k}. */
    static void packTwoBit(int[] levels, MemorySegment dst, long at) {
        for (int c = 0; c < 2; c++) {
            for (int l = 0; l < 32; l++) {
                int b = 128 * c + l;
                BlockIo.put8(dst, at + 32 * c + l,
                        levels[b] | levels[b + 32] << 2 | levels[b + 64] << 4 | levels[b + 96] << 6);
            }
        }
    }
}
