package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q8_K}, the activation format for dot products with K-quant weights: 256 values as
 * {@code float d; int8 qs[256]; int16 bsums[16]} (292 bytes, no padding), each decoding to {@code d * qs[i]};
 * {@code bsums[j]} is the sum of {@code qs[16j .. 16j + 15]}, which lets a kernel apply K-quant mins without touching
 * the quants. The quantizer maps the value of largest magnitude to -127 exactly ({@code d = max / -127}) and rounds to
 * nearest, ties to even.
 */
public final class Q8_KFormat extends BlockFormat {
    /** Bytes per block. */
    public static final int BLOCK_BYTES = 292;
    /** Byte offset of the float scale {@code d}. */
    public static final int D_OFFSET = 0;
    /** Byte offset of the 256 signed quants. */
    public static final int QS_OFFSET = 4;
    /** Byte offset of the 16 little-endian int16 sums of 16 quants each. */
    public static final int BSUMS_OFFSET = 260;

    Q8_KFormat() {
        super(GgmlType.Q8_K);
    }

    /**
     * Quantizes {@code n} floats (a multiple of 256) into Q8_K blocks at byte {@code dstOffset} of {@code dst}, exactly
     * as ggml's {@code quantize_row_q8_K_ref}.
     */
    public static void quantizeRow(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QuantFormats.Q8_K.quantize(src, srcOffset, dst, dstOffset, n);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f32(src, offset + D_OFFSET);
        for (int i = 0; i < 256; i++) {
            dst[dstOffset + i] = d * BlockIo.i8(src, offset + QS_OFFSET + i);
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < 256; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax == 0) {
            // ggml leaves bsums untouched here; zero is their true value.
            BlockIo.clear(dst, offset, BLOCK_BYTES);
            return;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int i = 16 * j; i < 16 * j + 16; i++) {
                int q = Math.min(127, ScaleSearch.nearestInt(iscale * x[xo + i]));
                BlockIo.put8(dst, offset + QS_OFFSET + i, q);
                sum += q;
            }
            BlockIo.put16(dst, offset + BSUMS_OFFSET + 2L * j, sum);
        }
        BlockIo.putF32(dst, offset + D_OFFSET, 1 / iscale);
    }
}
