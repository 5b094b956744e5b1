package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q3_K}: 256 values as {@code uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d}. Sub-block
 * {@code j} (16 values) has scale {@code d * (s_j - 32)} with a 6-bit {@code s_j}: its low nibble is the low
 * ({@code j < 8}) or high ({@code j >= 8}) nibble of {@code scales[j % 8]}, its top two bits are bits
 * {@code 2 * (j / 4)} of {@code scales[8 + j % 4]}. Value {@code i = 128c + 32k + l} has its low two bits in bits
 * {@code 2k} of {@code qs[32c + l]} (as Q2_K) and its high bit in bit {@code i / 32} of {@code hmask[i % 32]}; a clear
 * high bit means "subtract 4", so it decodes to {@code scale * (low - (high ? 0 : 4))}.
 */
public final class Q3_KFormat extends BlockFormat {
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;

    Q3_KFormat() {
        super(GgmlType.Q3_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        for (int i = 0; i < 256; i++) {
            float dl = d * KScales.scaleQ3(src, offset + SCALES, i / 16);
            int low = BlockIo.u8(src, offset + QS + 32 * (i / 128) + i % 32) >>> (2 * (i % 128 / 32)) & 3;
            boolean high = (BlockIo.u8(src, offset + HMASK + i % 32) >>> (i / 32) & 1) != 0;
            dst[dstOffset + i] = dl * (low - (high ? 0 : 4));
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = ScaleSearch.makeQ3Quants(16, 4, x, xo + 16 * j, levels, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        int[] biased = new int[16];
        if (maxScale != 0) {
            float iscale = -32.0f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) ScaleSearch.nearestInt(iscale * scales[j]); // ggml keeps it in an int8_t
                biased[j] = ScaleSearch.clamp(l, -32, 31) + 32;
            }
            BlockIo.putF16(dst, offset + D, 1 / iscale);
        } else {
            BlockIo.putF16(dst, offset + D, 0.0f);
        }
        KScales.packQ3(biased, dst, offset + SCALES);
        // Requantize against the stored (rounded) scales, as ggml does.
        float d = BlockIo.f16(dst, offset + D);
        for (int j = 0; j < 16; j++) {
            float dl = d * KScales.scaleQ3(dst, offset + SCALES, j);
            if (dl == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = ScaleSearch.nearestInt(x[xo + 16 * j + ii] / dl);
                levels[16 * j + ii] = ScaleSearch.clamp(l, -4, 3) + 4;
            }
        }
        BlockIo.clear(dst, offset + HMASK, 32);
        for (int i = 0; i < 256; i++) {
            if (levels[i] > 3) {
                long at = offset + HMASK + i % 32;
                BlockIo.put8(dst, at, BlockIo.u8(dst, at) | 1 << (i / 32));
                levels[i] -= 4;
            }
        }
        Q2_KFormat.packTwoBit(levels, dst, offset + QS);
    }
}
