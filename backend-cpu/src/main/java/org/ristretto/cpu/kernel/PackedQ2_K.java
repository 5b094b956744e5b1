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
 * Q2_K in groups of rows ({@link PackedKernel}), times Q8_K activations.
 *
 * <p>A packed block of 256 columns is the group's {@code d}, then its {@code dmin}, as floats, the sixteen
 * scale-and-min bytes as the file has them (sub-block after sub-block, a byte per row each), then sixteen pieces of
 * one 32-bit word per row: piece {@code j} holds sub-block {@code j}, its columns {@code 16j + m} in crumb {@code m}
 * (bits {@code 2m, 2m+1}) of the word's lower half and {@code 16j + 8 + m} in crumb {@code m} of its upper half. That
 * is 88 bytes per row and block, the file's 84 plus the scales as floats.
 *
 * <p>A word is multiplied eight times, shifted right by {@code 2m} within its 16-bit halves and never masked, against
 * telescoped pairs {@code x[c] − 4·x[c − 1]} (as {@link PackedKernel#telescoped} does for nibbles): with
 * {@code a_m = h >>> 2m}, crumb {@code m} is {@code a_m − 4·a_(m+1)}, so {@code Σ crumb_m·x_m = Σ a_m·(x_m − 4·x_(m−1))}
 * modulo 2^16, and the true sum of eight products of at most {@code 3·128} fits. The min comes back per sub-block
 * through the activations' sums of 16: {@code Σ(sc·q − m)·x = sc·Σq·x − m·Σx}.
 */
final class PackedQ2_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 84;
    private static final int QS = 16;
    private static final int D = 80;
    private static final int DMIN = 82;
    /** Packed bytes per row and block: {@code d} and {@code dmin} as floats, 16 scale bytes, 16 words of quants. */
    private static final int PACKED_ROW = 8 + 16 + 64;

    PackedQ2_K(Lanes lanes) {
        super(GgmlType.Q2_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedScales = 8 * rows;
        int packedQuants = packedScales + 16 * rows;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                putFloat(out, o + 4 * r, half(in, block + D));
                putFloat(out, o + 4 * rows + 4 * r, half(in, block + DMIN));
                for (int j = 0; j < 16; j++) {
                    out[o + packedScales + rows * j + r] = in[block + j];
                    int lower = 0;
                    int upper = 0;
                    for (int m = 0; m < 8; m++) {
                        lower |= value(in, block, 16 * j + m) << 2 * m;
                        upper |= value(in, block, 16 * j + 8 + m) << 2 * m;
                    }
                    putInt(out, o + packedQuants + 4 * (rows * j + r), lower | upper << 16);
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    /** Quant {@code c} (0..3) of the block at {@code in[block]}: bits {@code 2k, 2k+1} of {@code qs[32h + l]}. */
    private static int value(byte[] in, int block, int c) {
        int h = c / 128;
        int k = c % 128 / 32;
        int l = c % 32;
        return (in[block + QS + 32 * h + l] & 0xff) >> 2 * k & 3;
    }

    @Override
    void pairs(Activations x) {
        short[] q = x.q;
        for (int j = 0; j < x.cols / 16; j++) {
            for (int m = 0; m < 8; m++) {
                int c = 16 * j + m;
                x.pairs[8 * j + m] = m == 0 ? pair(q[c], q[c + 8])
                        : pair(q[c] - 4 * q[c - 1], q[c + 8] - 4 * q[c + 7]);
            }
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
        int packedScales = 8 * n;
        int packedQuants = packedScales + 16 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] bsums = x.bsums;
        // Shift counts as vectors: one instruction each where a constant count costs three (see PackedQ4_0).
        ShortVector shift2 = ShortVector.broadcast(ss, (short) 2);
        ShortVector shift4 = ShortVector.broadcast(ss, (short) 4);
        ShortVector shift6 = ShortVector.broadcast(ss, (short) 6);
        ShortVector shift8 = ShortVector.broadcast(ss, (short) 8);
        ShortVector shift10 = ShortVector.broadcast(ss, (short) 10);
        ShortVector shift12 = ShortVector.broadcast(ss, (short) 12);
        ShortVector shift14 = ShortVector.broadcast(ss, (short) 14);
        IntVector sixteen = IntVector.broadcast(is, 16);
        FloatVector zero = FloatVector.zero(fs);
        FloatVector acc = zero;
        FloatVector acc2 = zero;
        IntVector sum = IntVector.zero(is);
        IntVector sum2 = sum;
        IntVector mins = sum;
        IntVector mins2 = sum;
        // One loop over the sub-blocks of all blocks, the block end a branch, as in PackedQ3_K and PackedQ4_K: on a
        // 2-core Zen 4 1.01 (one thread, in the caches), 1.06 (two threads, L3) and 1.02-1.03 (from memory) times a
        // loop over blocks around one over sub-blocks.
        int steps = cols / BLOCK * 16;
        for (int i = 0; i < steps; i++) {
            int b = i >>> 4;
            int j = i & 15;
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            int k = 8 * i;
            // Written out: see IntDot on why kernels have no vector helpers. Even and odd crumbs sum in two
            // chains, as PackedQ4_0's pieces do.
            ShortVector v = IntVector.fromMemorySegment(is, w, p + packedQuants + 4L * n * j,
                    ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            ShortVector u = IntVector.fromMemorySegment(is, w2, p2 + packedQuants + 4L * n * j,
                    ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            ShortVector xv = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            ShortVector s = v.mul(xv);
            ShortVector s2 = u.mul(xv);
            xv = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            ShortVector t = v.lanewise(VectorOperators.LSHR, shift2).mul(xv);
            ShortVector t2 = u.lanewise(VectorOperators.LSHR, shift2).mul(xv);
            xv = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            s = v.lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s);
            s2 = u.lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            t = v.lanewise(VectorOperators.LSHR, shift6).mul(xv).add(t);
            t2 = u.lanewise(VectorOperators.LSHR, shift6).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
            s = v.lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s);
            s2 = u.lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
            t = v.lanewise(VectorOperators.LSHR, shift10).mul(xv).add(t);
            t2 = u.lanewise(VectorOperators.LSHR, shift10).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
            s = v.lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s);
            s2 = u.lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
            t = v.lanewise(VectorOperators.LSHR, shift14).mul(xv).add(t);
            t2 = u.lanewise(VectorOperators.LSHR, shift14).mul(xv).add(t2);
            // The halves widened and added, times the sub-block's scale; its min times the activations' sum.
            IntVector bsum = IntVector.broadcast(is, bsums[16 * b + j]);
            IntVector a = s.add(t).reinterpretAsInts();
            IntVector sc = (IntVector) ByteVector.fromMemorySegment(qb, w, p + packedScales + (long) n * j,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0);
            sum = a.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                    .add(a.lanewise(VectorOperators.ASHR, sixteen)).mul(sc.and(15)).add(sum);
            mins = sc.lanewise(VectorOperators.LSHR, 4).mul(bsum).add(mins);
            a = s2.add(t2).reinterpretAsInts();
            sc = (IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedScales + (long) n * j,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0);
            sum2 = a.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                    .add(a.lanewise(VectorOperators.ASHR, sixteen)).mul(sc.and(15)).add(sum2);
            mins2 = sc.lanewise(VectorOperators.LSHR, 4).mul(bsum).add(mins2);
            if (j == 15) {
                float dx = xd[b];
                acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
                acc = ((FloatVector) mins.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w, p + 4L * n, ByteOrder.LITTLE_ENDIAN).mul(-dx), acc);
                acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
                acc2 = ((FloatVector) mins2.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w2, p2 + 4L * n, ByteOrder.LITTLE_ENDIAN).mul(-dx),
                        acc2);
                sum = IntVector.zero(is);
                sum2 = sum;
                mins = sum;
                mins2 = sum;
            }
        }
        // Stored through a fresh vector: the finished accumulators are operands only (IntDot).
        zero.add(acc).intoArray(out, o);
        zero.add(acc2).intoArray(out2, o2);
    }
}
