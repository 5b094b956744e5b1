package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;

/**
 * Q6_K in groups of rows ({@link PackedKernel}), times Q8_K activations, with each sub-block's six-bit quants in
 * three 32-bit words per row, unpacked by shifts alone.
 *
 * <p>A packed block of 256 columns is the group's {@code d} as floats, their 16 sub-block scales (sub-block after
 * sub-block, a byte per row each), then for each sub-block words A, B and C of every row: 212 bytes per row and
 * block, against the file's 210. The lower 16-bit half of a row's words holds the sub-block's even columns, the upper
 * half its odd ones; with {@code v0..v7} the quants {@code q} (0 to 63) of a half's eight columns in order, a half
 * of A is {@code v0 | v1 << 6 | (v6 & 15) << 12}, of B {@code v2 | v3 << 6 | (v7 & 15) << 12}, and of C
 * {@code v4 | v5 << 6 | (v6 >> 4) << 12 | (v7 >> 4) << 14}.
 *
 * <p>The fields are not masked: the kernel multiplies each half shifted right by a field's offset by a "telescoped"
 * activation, as {@link #telescoped} describes for nibbles: a field of width {@code w} is {@code (h >>> o) − 2^w·(h
 * >>> (o + w))}, so the sum of the fields' products is the sum of the shifted halves times
 * {@code x_n − 2^w·x_(n−1)}, modulo 2^16. The quants' offset of 32 joins the sum as {@code −32·Σx} of the half's
 * columns, and the result, {@code Σ (q − 32)·x} over eight columns, is within {@code ±8·32·127} and comes out exact.
 * Three loads, seven shifts and ten multiplies per sub-block replace eight sign-extending loads and eight multiplies of
 * the earlier layout, a byte per quant, whose packed copy was 31% larger than the file (Q6_K is mostly the output
 * matrix of 4-bit models, a quarter of their bytes). Measured on a 2-core Zen 5 against that layout: the same speed
 * from the caches, and in Q4_K_M decoding the same share of the time within the noise (JFR samples against Q4_K's in
 * one process, ±8%), for a packed output matrix 66 MB smaller; but {@code MatVec} on the 128256×2048 output shape
 * alone, from memory, ran 10–25% slower, which is not understood.
 */
final class PackedQ6_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    /** Packed bytes per row and block: {@code d} as a float, 16 scales, 16 sub-blocks of three words. */
    private static final int PACKED_ROW = 4 + 16 + 16 * 12;
    private static final long LOW_NIBBLES = 0x0f0f0f0f0f0f0f0fL;
    private static final long LOW_PAIRS = 0x0303030303030303L;
    /** Ints of {@link Activations#pairs} per sub-block: the offset, then the multipliers of A, B and C's shifts. */
    private static final int PAIRS = 11;

    PackedQ6_K(Lanes lanes) {
        super(GgmlType.Q6_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedScales = 4 * rows;
        int packedQuants = packedScales + 16 * rows;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                putFloat(out, o + 4 * r, half(in, block + D));
                for (int j = 0; j < 16; j++) {
                    out[o + packedScales + rows * j + r] = in[block + SCALES + j];
                }
                for (int j = 0; j < 16; j++) {
                    packSubBlock(in, block, j, out, o + packedQuants + 12 * rows * j + 4 * r, 4 * rows);
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    /**
     * Writes words A, B and C of sub-block {@code j} of the file's block at {@code in[block]} to {@code out[at]},
     * {@code at + stride} and {@code at + 2·stride}, eight quants at a time in the bytes of a long: packing the
     * 128256-row output matrix of a 1B model was the longest part of a cold first prompt, one quant at a time.
     */
    private static void packSubBlock(byte[] in, int block, int j, byte[] out, int at, int stride) {
        // Value v = 128h + 32k + l sits where Q6_KKernels describes; a sub-block is 16 consecutive l of one h and k.
        int h = j >> 3;
        int k = j >> 1 & 3;
        int low = block + 64 * h + 32 * (k & 1) + 16 * (j & 1);
        int high = block + QH + 32 * h + 16 * (j & 1);
        int nibble = k < 2 ? 0 : 4;
        // The quants 0..63 of the sub-block's columns 0..7 and 8..15, a byte each.
        long q0 = getLong(in, low) >>> nibble & LOW_NIBBLES
                | (getLong(in, high) >>> 2 * k & LOW_PAIRS) << 4;
        long q1 = getLong(in, low + 8) >>> nibble & LOW_NIBBLES
                | (getLong(in, high + 8) >>> 2 * k & LOW_PAIRS) << 4;
        // e_m | o_m << 16 for m = 0..7: the quants of columns 2m (the lower half's) and 2m + 1 (the upper's).
        int p0 = spread(q0);
        int p1 = spread(q0 >>> 16);
        int p2 = spread(q0 >>> 32);
        int p3 = spread(q0 >>> 48);
        int p4 = spread(q1);
        int p5 = spread(q1 >>> 16);
        int p6 = spread(q1 >>> 32);
        int p7 = spread(q1 >>> 48);
        putInt(out, at, p0 | p1 << 6 | (p6 & 0x000f000f) << 12);
        putInt(out, at + stride, p2 | p3 << 6 | (p7 & 0x000f000f) << 12);
        putInt(out, at + 2 * stride, p4 | p5 << 6 | (p6 >>> 4 & 0x00030003) << 12 | (p7 >>> 4 & 0x00030003) << 14);
    }

    /** The two low bytes of {@code pair} as the lower and upper 16-bit halves of an int. */
    private static int spread(long pair) {
        return (int) (pair & 0xff) | (int) (pair & 0xff00) << 8;
    }

    @Override
    int pairCount(int cols) {
        return cols / 16 * PAIRS;
    }

    /**
     * For each sub-block: the offset {@code −32·Σy}, then for each word the multipliers of its shifts by 0, 6, 12 (and
     * 14 in C), where {@code y_i} is the activation of a half's column {@code i} and a field of C's top four bits
     * counts 16 times; the lower halves from the even columns, the upper from the odd. The caller runs this alone
     * before the product's workers start, so each half's eight activations are read once for all eleven lanes.
     */
    @Override
    void pairs(Activations x) {
        short[] q = x.q;
        int[] out = x.pairs;
        for (int c = 0, p = 0; c < x.cols; c += 16, p += PAIRS) {
            // y: the lower halves' columns (even), z: the upper halves' (odd).
            int y0 = q[c];
            int y1 = q[c + 2];
            int y2 = q[c + 4];
            int y3 = q[c + 6];
            int y4 = q[c + 8];
            int y5 = q[c + 10];
            int y6 = q[c + 12];
            int y7 = q[c + 14];
            int z0 = q[c + 1];
            int z1 = q[c + 3];
            int z2 = q[c + 5];
            int z3 = q[c + 7];
            int z4 = q[c + 9];
            int z5 = q[c + 11];
            int z6 = q[c + 13];
            int z7 = q[c + 15];
            out[p] = pair(-32 * (y0 + y1 + y2 + y3 + y4 + y5 + y6 + y7),
                    -32 * (z0 + z1 + z2 + z3 + z4 + z5 + z6 + z7));
            out[p + 1] = pair(y0, z0);
            out[p + 2] = pair(y1 - 64 * y0, z1 - 64 * z0);
            out[p + 3] = pair(y6 - 64 * y1, z6 - 64 * z1);
            out[p + 4] = pair(y2, z2);
            out[p + 5] = pair(y3 - 64 * y2, z3 - 64 * z2);
            out[p + 6] = pair(y7 - 64 * y3, z7 - 64 * z3);
            out[p + 7] = pair(y4, z4);
            out[p + 8] = pair(y5 - 64 * y4, z5 - 64 * z4);
            out[p + 9] = pair(16 * y6 - 64 * y5, 16 * z6 - 64 * z5);
            out[p + 10] = pair(16 * y7 - 64 * y6, 16 * z7 - 64 * z6);
        }
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        w = NativeSegments.of(w);
        w2 = NativeSegments.of(w2);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> qb = lanes.quarterBytes();
        int n = is.length();
        int packedScales = 4 * n;
        int packedQuants = packedScales + 16 * n;
        int packed = PACKED_ROW * n;
        int word = 4 * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        ShortVector six = ShortVector.broadcast(ss, (short) 6);
        ShortVector twelve = ShortVector.broadcast(ss, (short) 12);
        ShortVector fourteen = ShortVector.broadcast(ss, (short) 14);
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            IntVector sum = IntVector.zero(is);
            IntVector sum2 = sum;
            for (int j = 0; j < 16; j++) {
                long q = p + packedQuants + 3L * word * j;
                long q2 = p2 + packedQuants + 3L * word * j;
                int k = PAIRS * (16 * b + j);
                ShortVector offset = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
                ShortVector x0 = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
                ShortVector x1 = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
                ShortVector x2 = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
                ShortVector x3 = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
                ShortVector x4 = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
                ShortVector x5 = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
                ShortVector x6 = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
                ShortVector x7 = IntVector.broadcast(is, xp[k + 8]).reinterpretAsShorts();
                ShortVector x8 = IntVector.broadcast(is, xp[k + 9]).reinterpretAsShorts();
                ShortVector x9 = IntVector.broadcast(is, xp[k + 10]).reinterpretAsShorts();
                ShortVector a = IntVector.fromMemorySegment(is, w, q, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                ShortVector bw = IntVector.fromMemorySegment(is, w, q + word, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretAsShorts();
                ShortVector c = IntVector.fromMemorySegment(is, w, q + 2 * word, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretAsShorts();
                ShortVector s = a.mul(x0).add(a.lanewise(VectorOperators.LSHR, six).mul(x1))
                        .add(a.lanewise(VectorOperators.LSHR, twelve).mul(x2))
                        .add(bw.mul(x3)).add(bw.lanewise(VectorOperators.LSHR, six).mul(x4))
                        .add(bw.lanewise(VectorOperators.LSHR, twelve).mul(x5))
                        .add(c.mul(x6)).add(c.lanewise(VectorOperators.LSHR, six).mul(x7))
                        .add(c.lanewise(VectorOperators.LSHR, twelve).mul(x8))
                        .add(c.lanewise(VectorOperators.LSHR, fourteen).mul(x9)).add(offset);
                a = IntVector.fromMemorySegment(is, w2, q2, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                bw = IntVector.fromMemorySegment(is, w2, q2 + word, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                c = IntVector.fromMemorySegment(is, w2, q2 + 2 * word, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                ShortVector s2 = a.mul(x0).add(a.lanewise(VectorOperators.LSHR, six).mul(x1))
                        .add(a.lanewise(VectorOperators.LSHR, twelve).mul(x2))
                        .add(bw.mul(x3)).add(bw.lanewise(VectorOperators.LSHR, six).mul(x4))
                        .add(bw.lanewise(VectorOperators.LSHR, twelve).mul(x5))
                        .add(c.mul(x6)).add(c.lanewise(VectorOperators.LSHR, six).mul(x7))
                        .add(c.lanewise(VectorOperators.LSHR, twelve).mul(x8))
                        .add(c.lanewise(VectorOperators.LSHR, fourteen).mul(x9)).add(offset);
                IntVector v = s.reinterpretAsInts();
                sum = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w,
                        p + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, is, 0)).add(sum);
                v = s2.reinterpretAsInts();
                sum2 = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w2,
                        p2 + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, is, 0)).add(sum2);
            }
            FloatVector dx = FloatVector.broadcast(fs, xd[b]);
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
            acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
