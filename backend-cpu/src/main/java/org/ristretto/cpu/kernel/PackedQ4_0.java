package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;

/**
 * Q4_0 in groups of rows ({@link PackedKernel}), times Q8_0 activations.
 *
 * <p>A packed block of 32 columns is the group's fp16 scales as the file has them (two bytes per row), then four
 * pieces: piece {@code t} is bytes {@code 4t..4t+3} of each row's 16 quant bytes, row after row. So every 32-bit
 * lane of a piece belongs to one row and holds four of its 16-bit pairs of nibbles: nibble {@code n} of the lane's
 * lower 16 bits is column {@code c(t, n)} = {@code 4t + [0, 16, 1, 17][n]}, and of its upper 16 bits column
 * {@code c(t, n) + 2}. Packing is a copy of 16- and 32-bit words: 18 bytes per row and block, the file's own size
 * (with the scales as floats, 160, read 6–9% slower from memory with two threads). The kernel converts the
 * scales with a few integer operations, exactly for every finite fp16; a matrix with an infinite or NaN scale stays
 * unpacked ({@link PackedKernel#copyHalf}).
 *
 * <p>Nibble {@code n} of both halves of every lane is multiplied without a mask, shifted by {@code 4n} only, against
 * the telescoped pair of {@code (x[c], x[c + 2])} ({@link PackedKernel#telescoped}). The quants stay unsigned: a
 * 16-bit lane sums at most sixteen products of at most {@code 15·127}, which fits, and the {@code −8} of every
 * quant comes back per block as {@code 8·d_x·Σx} (the activations' block sums).
 */
final class PackedQ4_0 extends PackedKernel {
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    PackedQ4_0(Lanes lanes) {
        super(GgmlType.Q4_0, ActivationFormat.Q8_0, lanes, BYTES * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        return packScalesAndWords(in, rowBytes, cols / BLOCK, BYTES, 4, out);
    }

    /**
     * Pair {@code 4t + n} of a block: nibble {@code n} of piece {@code t}, columns {@code c(t, n)} (lower half) and
     * {@code c(t, n) + 2} (upper), telescoped ({@link PackedKernel#telescoped}) against nibble {@code n − 1}'s; the
     * eight columns of a piece are read once for its four pairs.
     */
    @Override
    void pairs(Activations x) {
        short[] q = x.q;
        int[] out = x.pairs;
        for (int c = 0, p = 0; c < x.cols; c += BLOCK) {
            for (int t = 0; t < 4; t++, p += 4) {
                int at = c + 4 * t;
                int a0 = q[at];
                int a1 = q[at + 2];
                int b0 = q[at + 16];
                int b1 = q[at + 18];
                int c0 = q[at + 1];
                int c1 = q[at + 3];
                int d0 = q[at + 17];
                int d1 = q[at + 19];
                out[p] = pair(a0, a1);
                out[p + 1] = pair(b0 - 16 * a0, b1 - 16 * a1);
                out[p + 2] = pair(c0 - 16 * b0, c1 - 16 * b1);
                out[p + 3] = pair(d0 - 16 * c0, d1 - 16 * c1);
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
        VectorSpecies<Short> hs = lanes.halfShorts();
        int scales = 2 * is.length();
        int piece = 4 * is.length();
        int packed = BYTES * is.length();
        // Shift counts as vectors: C2 compiles a 16-bit shift by a constant int into a shift by a register loaded
        // from a general-purpose one each time (three instructions), by a vector of counts into one.
        ShortVector shift4 = ShortVector.broadcast(ss, (short) 4);
        ShortVector shift8 = ShortVector.broadcast(ss, (short) 8);
        ShortVector shift12 = ShortVector.broadcast(ss, (short) 12);
        int[] xp = x.pairs;
        float[] xd = x.d;
        float[] xs = x.blockSum;
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            int k = 16 * b;
            // Written out in full: see IntDot on why kernels have no vector helpers. Sixteen products of at most
            // 15·127 per 16-bit lane fit; the pairs' sums need the exact widening.
            // Pieces 0 and 2 sum into s, 1 and 3 into t: two chains of additions instead of one long one (measured:
            // 17% faster in cache, 7% from memory, on a 2-core Zen 5 at 512 bits).
            ShortVector s = ShortVector.zero(ss);
            ShortVector s2 = s;
            ShortVector t = s;
            ShortVector t2 = s;
            IntVector v;
            IntVector u;
            ShortVector xv;
            v = IntVector.fromMemorySegment(is, w, p + scales, ByteOrder.LITTLE_ENDIAN);
            u = IntVector.fromMemorySegment(is, w2, p2 + scales, ByteOrder.LITTLE_ENDIAN);
            xv = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().mul(xv).add(s);
            s2 = u.reinterpretAsShorts().mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s2);
            v = IntVector.fromMemorySegment(is, w, p + scales + piece, ByteOrder.LITTLE_ENDIAN);
            u = IntVector.fromMemorySegment(is, w2, p2 + scales + piece, ByteOrder.LITTLE_ENDIAN);
            xv = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().mul(xv).add(t);
            t2 = u.reinterpretAsShorts().mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(t2);
            v = IntVector.fromMemorySegment(is, w, p + scales + 2 * piece, ByteOrder.LITTLE_ENDIAN);
            u = IntVector.fromMemorySegment(is, w2, p2 + scales + 2 * piece, ByteOrder.LITTLE_ENDIAN);
            xv = IntVector.broadcast(is, xp[k + 8]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().mul(xv).add(s);
            s2 = u.reinterpretAsShorts().mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 9]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 10]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(s2);
            xv = IntVector.broadcast(is, xp[k + 11]).reinterpretAsShorts();
            s = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s);
            s2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(s2);
            v = IntVector.fromMemorySegment(is, w, p + scales + 3 * piece, ByteOrder.LITTLE_ENDIAN);
            u = IntVector.fromMemorySegment(is, w2, p2 + scales + 3 * piece, ByteOrder.LITTLE_ENDIAN);
            xv = IntVector.broadcast(is, xp[k + 12]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().mul(xv).add(t);
            t2 = u.reinterpretAsShorts().mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 13]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift4).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 14]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift8).mul(xv).add(t2);
            xv = IntVector.broadcast(is, xp[k + 15]).reinterpretAsShorts();
            t = v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(t);
            t2 = u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift12).mul(xv).add(t2);
            IntVector a = s.add(t).reinterpretAsInts();
            IntVector c = s2.add(t2).reinterpretAsInts();
            // The scales, fp16 to float: the magnitude's bits moved to a float's places and scaled by 2^(127-15)
            // (exact for zeros and subnormals too), then the sign, which the sign-extending load put in bit 31.
            IntVector h = (IntVector) ShortVector.fromMemorySegment(hs, w, p, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, is, 0);
            FloatVector d = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                    .reinterpretAsInts().or(h.and(SIGN)).reinterpretAsFloats();
            IntVector h2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, is, 0);
            FloatVector d2 = h2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                    .reinterpretAsInts().or(h2.and(SIGN)).reinterpretAsFloats();
            FloatVector dx = FloatVector.broadcast(fs, xd[b]);
            FloatVector offset = FloatVector.broadcast(fs, -8 * xs[b]);
            acc = ((FloatVector) a.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(a.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, fs, 0)).fma(dx, offset)
                    .fma(d, acc);
            acc2 = ((FloatVector) c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(c.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, fs, 0)).fma(dx, offset)
                    .fma(d2, acc2);
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
