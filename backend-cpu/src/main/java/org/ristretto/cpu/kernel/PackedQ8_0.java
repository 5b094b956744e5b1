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
 * Q8_0 in groups of rows ({@link PackedKernel}), times Q8_0 activations.
 *
 * <p>A packed block of 32 columns is the group's fp16 scales as the file has them (two bytes per row), then eight
 * pieces: piece {@code t} is bytes {@code 4t..4t+3} of each row's 32 quants, row after row, so every 32-bit lane
 * holds four consecutive quants of one row. That is 34 bytes per row and block, the file's own size.
 *
 * <p>Seen as two 16-bit lanes, a 32-bit lane holds columns {@code (c, c+1)} and {@code (c+2, c+3)}; a shift pair
 * sign-extends the even columns and one shift the odd ones, which multiply the broadcast activation pairs
 * {@code (x[c], x[c+2])} and {@code (x[c+1], x[c+3])}. The two products a 16-bit lane then sums are at most
 * {@code 2·128·127}, which fits; the lane's two halves (the same row) widen to 32 bits exactly once per piece. The
 * scales are converted as in {@link PackedQ4_0}, so a matrix with an infinite or NaN scale stays unpacked.
 */
final class PackedQ8_0 extends PackedKernel {
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    PackedQ8_0(Lanes lanes) {
        super(GgmlType.Q8_0, ActivationFormat.Q8_0, lanes, BYTES * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        return packScalesAndWords(in, rowBytes, cols / BLOCK, BYTES, out);
    }

    @Override
    void pairs(Activations x) {
        for (int c = 0; c < x.cols; c += 4) {
            x.pairs[c / 2] = pair(x.q[c], x.q[c + 2]);
            x.pairs[c / 2 + 1] = pair(x.q[c + 1], x.q[c + 3]);
        }
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> hs = lanes.halfShorts();
        int scales = 2 * is.length();
        int piece = 4 * is.length();
        int packed = BYTES * is.length();
        int[] xp = x.pairs;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        IntVector s = IntVector.zero(is);
        IntVector s2 = s;
        // Half a block (four pieces) per iteration, written out: the whole block's eight pieces made a method too
        // large for C1 ("out of virtual registers"), and a loop over pieces compiled with its bounds checks inside.
        for (int h = 0; h < 2 * (cols / BLOCK); h++) {
            int b = h >> 1;
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            long q = p + scales + 4 * piece * (h & 1);
            long q2 = p2 + scales + 4 * piece * (h & 1);
            int k = 8 * h;
            ShortVector v;
            ShortVector u;
            ShortVector even;
            ShortVector odd;
            IntVector a;
            IntVector c;
            v = IntVector.fromMemorySegment(is, w, q, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            u = IntVector.fromMemorySegment(is, w2, q2, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            even = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            odd = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            a = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(v.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            c = u.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(u.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            s = s.add(a.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(a.lanewise(VectorOperators.ASHR, 16));
            s2 = s2.add(c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            v = IntVector.fromMemorySegment(is, w, q + piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            u = IntVector.fromMemorySegment(is, w2, q2 + piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            even = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            odd = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            a = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(v.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            c = u.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(u.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            s = s.add(a.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(a.lanewise(VectorOperators.ASHR, 16));
            s2 = s2.add(c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            v = IntVector.fromMemorySegment(is, w, q + 2 * piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            u = IntVector.fromMemorySegment(is, w2, q2 + 2 * piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            even = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
            odd = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
            a = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(v.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            c = u.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(u.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            s = s.add(a.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(a.lanewise(VectorOperators.ASHR, 16));
            s2 = s2.add(c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            v = IntVector.fromMemorySegment(is, w, q + 3 * piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            u = IntVector.fromMemorySegment(is, w2, q2 + 3 * piece, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            even = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
            odd = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
            a = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(v.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            c = u.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(even)
                    .add(u.lanewise(VectorOperators.ASHR, 8).mul(odd)).reinterpretAsInts();
            s = s.add(a.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(a.lanewise(VectorOperators.ASHR, 16));
            s2 = s2.add(c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            if ((h & 1) == 0) {
                continue;
            }
            // The scales, fp16 to float, as in PackedQ4_0.
            IntVector hw = (IntVector) ShortVector.fromMemorySegment(hs, w, p, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, is, 0);
            FloatVector d = hw.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                    .reinterpretAsInts().or(hw.and(SIGN)).reinterpretAsFloats();
            IntVector hw2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, is, 0);
            FloatVector d2 = hw2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                    .reinterpretAsInts().or(hw2.and(SIGN)).reinterpretAsFloats();
            FloatVector dx = FloatVector.broadcast(fs, xd[b]);
            acc = ((FloatVector) s.convertShape(VectorOperators.I2F, fs, 0)).mul(dx).fma(d, acc);
            acc2 = ((FloatVector) s2.convertShape(VectorOperators.I2F, fs, 0)).mul(dx).fma(d2, acc2);
            s = IntVector.zero(is);
            s2 = s;
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
