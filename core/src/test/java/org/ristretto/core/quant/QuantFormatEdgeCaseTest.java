package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Edge cases and round trips of every format that has a quantizer. Exactness against ggml is
 * {@link GgmlQuantVectorsTest}'s job; these check the cases its data does not reach.
 */
class QuantFormatEdgeCaseTest {

    private static QuantFormat format(GgmlType t) {
        return QuantFormats.of(t);
    }

    /** Two blocks, and at least 64 values for the one-value "blocks" of the float types. */
    private static int twoBlocks(GgmlType t) {
        return Math.max(2 * t.blockSize(), 64);
    }

    private static float[] roundTrip(GgmlType t, float[] x) {
        MemorySegment q = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize(x.length))]);
        format(t).quantize(x, 0, q, 0, x.length);
        float[] y = new float[x.length];
        format(t).dequantize(q, 0, y, 0, y.length);
        return y;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K"})
    void allZeroBlocksComeBackAsZero(GgmlType t) {
        float[] y = roundTrip(t, new float[twoBlocks(t)]);
        for (int i = 0; i < y.length; i++) {
            assertEquals(0.0f, y[i], 0.0f, t + " value " + i);
        }
    }

    /**
     * A block that is all zeros but for one value {@code v} of either sign. Every quantizer puts the value of largest
     * magnitude exactly on an end of its grid, so {@code v} comes back off only by the fp16 rounding of the block
     * scale (or of the min, for the types with an offset): at most 2^-11 |v|, plus a few float roundings (2^-20 |v|
     * covers them). The zeros are exact for the symmetric types; for the offset types (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K)
     * a zero is decoded as {@code scale * q - min} with both terms of size |v| each rounded to fp16, so at most
     * 2 * 2^-11 |v| (+ 2^-20 |v|). The float types round {@code v} itself: exact (F32), 2^-11 (F16), 2^-9 (BF16).
     * The magnitudes keep every scale in fp16's normal range, where those relative bounds hold.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K"})
    void aSingleLargeValueOfEitherSignIsKept(GgmlType t) {
        double spikeRel = switch (t) {
            case F32 -> 0;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-9;
            default -> 0x1p-11 + 0x1p-20;
        };
        double zeroRel = t.isQuantized() ? 0x1p-10 + 0x1p-20 : 0;
        for (float v : new float[] {30001.7f, -30001.7f, 7.77f, -7.77f}) {
            float[] x = new float[twoBlocks(t)];
            int[] spikes = {7, x.length - 1};
            for (int p : spikes) {
                x[p] = v;
            }
            float[] y = roundTrip(t, x);
            for (int i = 0; i < x.length; i++) {
                double bound = (x[i] == 0 ? zeroRel : spikeRel) * Math.abs(v);
                if (!(Math.abs(y[i] - x[i]) <= bound)) {
                    fail(t + " with a single " + v + ": value " + i + " is " + y[i] + " for " + x[i] + ", beyond "
                            + bound);
                }
            }
        }
    }

    /**
     * Blocks are independent: one call over many blocks, at odd offsets in both arrays and segments, gives what
     * one-block calls give block by block.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K"})
    void manyBlocksAtOddOffsetsEqualOneBlockAtATime(GgmlType t) {
        int blocks = 7;
        int n = blocks * t.blockSize();
        int xo = 5;
        long qo = 3;
        float[] x = randomBlocks(new Random(t.id()), xo + n + 2, t.blockSize());
        MemorySegment all = MemorySegment.ofArray(new byte[Math.toIntExact(qo + t.byteSize(n) + 1)]);
        format(t).quantize(x, xo, all, qo, n);
        float[] yAll = new float[n + 9];
        format(t).dequantize(all, qo, yAll, 9, n);
        for (int b = 0; b < blocks; b++) {
            MemorySegment one = MemorySegment.ofArray(new byte[t.typeSize()]);
            format(t).quantize(x, xo + b * t.blockSize(), one, 0, t.blockSize());
            assertEquals(-1, one.mismatch(all.asSlice(qo + (long) b * t.typeSize(), t.typeSize())), t + " block " + b);
            float[] y = new float[t.blockSize()];
            format(t).dequantize(one, 0, y, 0, y.length);
            for (int i = 0; i < y.length; i++) {
                assertEquals(y[i], yAll[9 + b * t.blockSize() + i], 0.0f, t + " block " + b + " value " + i);
            }
        }
    }

    /**
     * Quantizing what a format decodes gives the same bytes again for the formats whose scale is set by the block's
     * extremes: those extremes decode to exactly {@code q_max * d16} (and {@code m16}), so the recomputed scale rounds
     * to the same fp16 and every quant lands back on its level. (The K-quant searches weigh several candidate scales,
     * so they promise no such fixed point.)
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"})
    void quantizingTheDecodedValuesIsAFixedPoint(GgmlType t) {
        int n = 16 * t.blockSize() * (t.isQuantized() ? 1 : 32);
        float[] x = randomBlocks(new Random(31 + t.id()), n, t.blockSize());
        MemorySegment q1 = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize(n))]);
        format(t).quantize(x, 0, q1, 0, n);
        float[] y = new float[n];
        format(t).dequantize(q1, 0, y, 0, n);
        MemorySegment q2 = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize(n))]);
        format(t).quantize(y, 0, q2, 0, n);
        long at = q1.mismatch(q2);
        assertEquals(-1, at, () -> t + ": requantized bytes differ at " + at);
    }

    /**
     * Q8_K's layout is what the K-quant dot products read: {@code float d} at 0, {@code int8 qs[256]} at 4 and
     * {@code int16 bsums[16]} at 260, each sum being that of its 16 quants; an all-zero block is all zero bytes even
     * where the destination held garbage.
     */
    @Test
    void q8KBlocksCarryTheirScaleQuantsAndSums() {
        float[] x = randomBlocks(new Random(8), 3 * 256, 256);
        java.util.Arrays.fill(x, 256, 512, 0f);
        byte[] bytes = new byte[3 * Q8_KFormat.BLOCK_BYTES];
        java.util.Arrays.fill(bytes, (byte) 0x5a);
        MemorySegment q = MemorySegment.ofArray(bytes);
        Q8_KFormat.quantizeRow(x, 0, q, 0, x.length);
        for (int b = 0; b < 3; b++) {
            long at = (long) b * Q8_KFormat.BLOCK_BYTES;
            float d = BlockIo.f32(q, at + Q8_KFormat.D_OFFSET);
            float amax = 0;
            for (int i = 0; i < 256; i++) {
                amax = Math.max(amax, Math.abs(x[256 * b + i]));
            }
            assertEquals(amax / 127, Math.abs(d), amax / 127 * 0x1p-22, "scale of block " + b);
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += BlockIo.i8(q, at + Q8_KFormat.QS_OFFSET + 16 * j + i);
                }
                assertEquals(sum, BlockIo.i16(q, at + Q8_KFormat.BSUMS_OFFSET + 2L * j), "bsums[" + j + "]");
            }
        }
        byte[] zeroBlock = new byte[Q8_KFormat.BLOCK_BYTES];
        assertArrayEquals(zeroBlock, q.asSlice(Q8_KFormat.BLOCK_BYTES, Q8_KFormat.BLOCK_BYTES).toArray(
                java.lang.foreign.ValueLayout.JAVA_BYTE), "the all-zero block");
        assertEquals(GgmlType.Q8_K.typeSize(), Q8_KFormat.BLOCK_BYTES);
    }

    @Test
    void q8_0RowHelperWritesTheFormatsBlocks() {
        float[] x = randomBlocks(new Random(80), 4 * 32, 32);
        MemorySegment viaHelper = MemorySegment.ofArray(new byte[4 * Q8_0Format.BLOCK_BYTES]);
        Q8_0Format.quantizeRow(x, 0, viaHelper, 0, x.length);
        float[] y = new float[x.length];
        format(GgmlType.Q8_0).dequantize(viaHelper, 0, y, 0, y.length);
        for (int b = 0; b < 4; b++) {
            float d = BlockIo.f16(viaHelper, (long) b * Q8_0Format.BLOCK_BYTES + Q8_0Format.D_OFFSET);
            for (int i = 0; i < 32; i++) {
                int q = BlockIo.i8(viaHelper, (long) b * Q8_0Format.BLOCK_BYTES + Q8_0Format.QS_OFFSET + i);
                assertEquals(q * d, y[32 * b + i], 0.0f);
                // d16 is within 2^-11 of amax/127, so the error stays under about half a step.
                assertEquals(x[32 * b + i], y[32 * b + i], d * (0.5 + 127 * 0x1p-11) * (1 + 0x1p-20));
            }
        }
        assertEquals(GgmlType.Q8_0.typeSize(), Q8_0Format.BLOCK_BYTES);
    }

    /**
     * Pseudo-normal values whose scale changes from block to block (from 1e-3 to 1e2), the largest magnitude
     * alternating in sign, with an outlier every 23rd value.
     */
    static float[] randomBlocks(Random r, int n, int blockSize) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int block = i / Math.max(blockSize, 32);
            double scale = Math.pow(10, block % 6 - 3);
            double v = r.nextGaussian() * scale;
            if (i % 23 == 0) {
                v = (block % 2 == 0 ? -6 : 6) * scale;
            }
            x[i] = (float) v;
        }
        return x;
    }
}
