package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q4_K}: 256 values as {@code half d; half dmin; uint8 scales[12]; uint8 qs[128]}. Sub-block
 * {@code j} (32 values) has scale {@code d * sc_j} and min {@code dmin * m_j}, 6 bits each, packed as ggml's
 * {@code get_scale_min_k4} reads them: for {@code j < 4}, the low 6 bits of {@code scales[j]} and
 * {@code scales[j + 4]}; for {@code j >= 4}, the low and high nibble of {@code scales[j + 4]} topped with the top two
 * bits of {@code scales[j - 4]} and {@code scales[j]}. Value {@code 64c + l} ({@code l < 32}) is the low nibble of
 * {@code qs[32c + l]}, value {@code 64c + 32 + l} its high nibble; each decodes to {@code scale * q - min}.
 */
public final class Q4_KFormat extends BlockFormat {
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;

    Q4_KFormat() {
        super(GgmlType.Q4_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        float dmin = BlockIo.f16(src, offset + DMIN);
        for (int i = 0; i < 256; i++) {
            int j = i / 32;
            float dl = d * KScales.scaleK4(src, offset + SCALES, j);
            float ml = dmin * KScales.minK4(src, offset + SCALES, j);
            int q = BlockIo.u8(src, offset + QS + 32 * (i / 64) + i % 32) >>> (4 * (j % 2)) & 0x0f;
            dst[dstOffset + i] = dl * q - ml;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        int[] levels = new int[256];
        KQuantAsymmetric.quantizeScalesAndMins(x, xo, 15, -1.0f, 0.1f, 20, levels, dst, offset + D, offset + DMIN,
                offset + SCALES);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                BlockIo.put8(dst, offset + QS + 32 * c + l, levels[64 * c + l] | levels[64 * c + 32 + l] << 4);
            }
        }
    }
}
