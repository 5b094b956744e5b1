package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q8_0}: 32 values as {@code half d; int8 qs[32]}, each decoding to {@code qs[j] * d}. The quantizer
 * sets {@code d = amax / 127} and rounds {@code x / d} half away from zero (C's {@code roundf}).
 *
 * <p>Q8_0 is also the activation format that Q4_0, Q5_0 and Q8_0 weights are multiplied with, hence the public
 * {@link #quantizeRow} helper and the layout constants.
 */
public final class Q8_0Format extends BlockFormat {
    /** Bytes per block. */
    public static final int BLOCK_BYTES = 34;
    /** Byte offset of the fp16 scale {@code d} in a block. */
    public static final int D_OFFSET = 0;
    /** Byte offset of the 32 signed quants in a block. */
    public static final int QS_OFFSET = 2;

    Q8_0Format() {
        super(GgmlType.Q8_0);
    }

    /**
     * Quantizes {@code n} floats (a multiple of 32) into Q8_0 blocks at byte {@code dstOffset} of {@code dst}, exactly
     * as ggml's {@code quantize_row_q8_0_ref}.
     */
    public static void quantizeRow(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QuantFormats.Q8_0.quantize(src, srcOffset, dst, dstOffset, n);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D_OFFSET);
        for (int j = 0; j < 32; j++) {
            dst[dstOffset + j] = BlockIo.i8(src, offset + QS_OFFSET + j) * d;
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BlockIo.putF16(dst, offset + D_OFFSET, d);
        for (int j = 0; j < 32; j++) {
            BlockIo.put8(dst, offset + QS_OFFSET + j, roundHalfAwayFromZero(x[xo + j] * id));
        }
    }

    /** C's {@code roundf}; the sum is exact in double for every float, so no double rounding can occur. */
    private static int roundHalfAwayFromZero(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
