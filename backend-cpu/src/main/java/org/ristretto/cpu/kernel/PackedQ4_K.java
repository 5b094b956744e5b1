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
 * Q4_K in groups of rows ({@link PackedKernel}), times Q8_K activations.
 *
 * <p>A packed block of 256 columns is the group's {@code d}, then its {@code dmin}, as floats, the sub-block scales
 * and then mins unpacked from 6 bits to one byte each (sub-block after sub-block, a byte per row each), then 32
 * pieces: piece {@code t} is bytes {@code 4t..4t+3} of each row's 128 quant bytes, as
 * in {@link PackedQ4_0}. In the file's layout byte {@code i} of the quants holds column {@code 64⌊i/32⌋ + i % 32}
 * in its low nibble and that plus 32 in its high one, so nibbles 0 and 2 of a lane's 16-bit halves belong to the
 * even sub-block of their 64 columns and nibbles 1 and 3 to the odd one; each sub-block sums its products in 16-bit
 * lanes (at most sixteen of {@code 15·127}), widens them once, and multiplies by its scale in 32 bits. That is 152
 * bytes per row and block instead of 144.
 */
final class PackedQ4_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int QS = 16;
    /** Packed bytes per row and block: {@code d} and {@code dmin} as floats, 8 scales, 8 mins, 128 quant bytes. */
    private static final int PACKED_ROW = 8 + 8 + 8 + 128;
    private static final int NIBBLES = 0x000f000f;
    /** Column of nibble {@code n} in the lower half of a lane of piece 0. */
    private static final int[] COLUMN = {0, 32, 1, 33};

    PackedQ4_K(Lanes lanes) {
        super(GgmlType.Q4_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedQuants = 24 * rows;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                packKHeader(in, block, out, o, r);
                for (int t = 0; t < 32; t++) {
                    copy4(in, block + QS + 4 * t, out, o + packedQuants + 4 * rows * t + 4 * r);
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    @Override
    void pairs(Activations x) {
        for (int b = 0; b < x.cols / BLOCK; b++) {
            for (int t = 0; t < 32; t++) {
                for (int n = 0; n < 4; n++) {
                    int c = BLOCK * b + 64 * (t / 8) + 4 * (t % 8) + COLUMN[n];
                    x.pairs[128 * b + 4 * t + n] = pair(x.q[c], x.q[c + 2]);
                }
            }
        }
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> qb = lanes.quarterBytes();
        int n = is.length();
        int piece = 4 * n;
        int packedScales = 8 * n;
        int packedMins = packedScales + 8 * n;
        int packedQuants = packedMins + 8 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] s32 = x.sums32;
        // The top nibble of a 16-bit half needs no mask when shifted within the half (see IntDot on the count).
        ShortVector twelve = ShortVector.broadcast(ss, (short) 12);
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            IntVector sum = IntVector.zero(is);
            IntVector sum2 = sum;
            IntVector mins = sum;
            IntVector mins2 = sum;
            for (int c = 0; c < 4; c++) {
                long q = p + packedQuants + 8 * piece * c;
                long q2 = p2 + packedQuants + 8 * piece * c;
                int k = 128 * b + 32 * c;
                ShortVector even = ShortVector.zero(ss);
                ShortVector odd = even;
                ShortVector even2 = even;
                ShortVector odd2 = even;
                for (int m = 0; m < 8; m++) {
                    IntVector v = IntVector.fromMemorySegment(is, w, q + piece * m, ByteOrder.LITTLE_ENDIAN);
                    IntVector u = IntVector.fromMemorySegment(is, w2, q2 + piece * m, ByteOrder.LITTLE_ENDIAN);
                    int km = k + 4 * m;
                    ShortVector x0 = IntVector.broadcast(is, xp[km]).reinterpretAsShorts();
                    ShortVector x1 = IntVector.broadcast(is, xp[km + 1]).reinterpretAsShorts();
                    ShortVector x2 = IntVector.broadcast(is, xp[km + 2]).reinterpretAsShorts();
                    ShortVector x3 = IntVector.broadcast(is, xp[km + 3]).reinterpretAsShorts();
                    even = v.and(NIBBLES).reinterpretAsShorts().mul(x0)
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2))
                            .add(even);
                    odd = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                            .add(v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3))
                            .add(odd);
                    even2 = u.and(NIBBLES).reinterpretAsShorts().mul(x0)
                            .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2))
                            .add(even2);
                    odd2 = u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                            .add(u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3))
                            .add(odd2);
                }
                short sumA = s32[8 * b + 2 * c];
                short sumB = s32[8 * b + 2 * c + 1];
                IntVector e = even.reinterpretAsInts();
                IntVector d = odd.reinterpretAsInts();
                sum = e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w,
                        p + packedScales + 2 * n * c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))
                        .add(d.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(d.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w,
                        p + packedScales + 2 * n * c + n, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))).add(sum);
                mins = ((IntVector) ByteVector.fromMemorySegment(qb, w, p + packedMins + 2 * n * c,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sumA)
                        .add(((IntVector) ByteVector.fromMemorySegment(qb, w, p + packedMins + 2 * n * c + n,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sumB))
                        .add(mins);
                e = even2.reinterpretAsInts();
                d = odd2.reinterpretAsInts();
                sum2 = e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w2,
                        p2 + packedScales + 2 * n * c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))
                        .add(d.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(d.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w2,
                        p2 + packedScales + 2 * n * c + n, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))).add(sum2);
                mins2 = ((IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedMins + 2 * n * c,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sumA)
                        .add(((IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedMins + 2 * n * c + n,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sumB))
                        .add(mins2);
            }
            float dx = xd[b];
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
            acc = ((FloatVector) mins.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p + 4 * n, ByteOrder.LITTLE_ENDIAN).mul(-dx), acc);
            acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
            acc2 = ((FloatVector) mins2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2 + 4 * n, ByteOrder.LITTLE_ENDIAN).mul(-dx), acc2);
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
