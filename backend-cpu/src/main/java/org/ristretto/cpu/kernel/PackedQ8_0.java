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
 * Q8_0 in groups of rows ({@link PackedKernel}), times Q8_0 activations.
 *
 * <p>A packed block of 32 columns is the group's fp16 scales as the file has them (two bytes per row), then sixteen
 * pieces: piece {@code t} is bytes {@code 2t, 2t+1} of each row's 32 quants, row after row. That is 34 bytes per row
 * and block, the file's own size. A piece is half a vector of bytes; one sign extension to 16 bits puts its two
 * quants of a row in the two halves of that row's 32-bit lane, ready to multiply the broadcast activation pair
 * {@code (x[2t], x[2t+1])}. Pieces {@code 2j} and {@code 2j+1} are multiplied and added in 16 bits: a lane half then
 * holds two products of at most {@code 128·127}, which fits.
 *
 * <p>The two halves of a lane belong to the same row and must be summed exactly. Rather than sign-extending both
 * halves of every sum (three shifts and two additions), the kernel adds, per block, the lanes with their lower half
 * biased by {@code 2^15} (an exclusive or: the half then reads as an unsigned number, with no borrow from the upper
 * one) and, separately, the upper halves (one shift). At the block's end the two sums give the exact total: the
 * first is {@code 2^16·Σhigh + Σlow + 2^15·n} modulo {@code 2^32}, and its low part, {@code Σlow + 2^15·n}, is
 * far inside 32 bits. Measured on a 2-core Zen 5, one thread, weights in cache: 64 GB/s, against 52 with the
 * shifts and 57 for the previous layout (four quants of a row per lane, split by shifts); from memory all three ran
 * at the same speed, about 25 GB/s. The scales are converted as in {@link PackedQ4_0}, so a matrix with an infinite
 * or NaN scale stays unpacked.
 */
class PackedQ8_0 extends PackedKernel {
    static final int BLOCK = 32;
    private static final int BYTES = 34;
    /** Flips the sign bit of a lane's lower 16 bits: read unsigned, the half is then its value plus 2^15. */
    static final int LOW_BIAS = 0x8000;
    /** The biases the eight sums of a block add to each lane's lower half. */
    static final int BLOCK_BIAS = 8 * LOW_BIAS;

    /** Whether a packed block has each row's fp16 min after the scales, added as {@code m·Σx} per block. */
    final boolean mins;
    /** Bytes per row in front of a block's pieces. */
    final int header;

    PackedQ8_0(Lanes lanes) {
        this(GgmlType.Q8_0, lanes, false);
    }

    /**
     * A kernel for {@code type}, whose blocks of 32 subclasses pack into this layout as a signed byte per quant,
     * with, when {@code mins}, the rows' fp16 mins (two bytes per row) between the scales and the pieces.
     */
    PackedQ8_0(GgmlType type, Lanes lanes, boolean mins) {
        super(type, ActivationFormat.Q8_0, lanes, (2 + (mins ? 2 : 0) + BLOCK) * lanes.ints().length());
        this.mins = mins;
        this.header = 2 + (mins ? 2 : 0);
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        return packScalesAndWords(in, rowBytes, cols / BLOCK, BYTES, 2, out);
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        w = NativeSegments.of(w);
        w2 = NativeSegments.of(w2);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        VectorSpecies<Short> hs = lanes.halfShorts();
        int scales = header * is.length();
        int piece = 2 * is.length();
        int packed = (header + BLOCK) * is.length();
        float[] xs = x.blockSum;
        int[] xp = x.pairs;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        IntVector s = IntVector.zero(is);
        IntVector s2 = s;
        IntVector high = s;
        IntVector high2 = s;
        // A quarter of a block (four pieces) per iteration, written out: a half block made a method too large for C1's
        // profiling tier ("out of virtual registers in linear scan"), so C2 compiled it without a profile (the
        // boxing risk of IntDot), and a loop over pieces compiled with its bounds checks inside. No helper methods
        // either: see IntDot.
        for (int h = 0; h < 4 * (cols / BLOCK); h++) {
            int b = h >> 2;
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            long q = p + scales + 4 * piece * (h & 3);
            long q2 = p2 + scales + 4 * piece * (h & 3);
            int k = 4 * h;
            ShortVector x0 = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            ShortVector x1 = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            IntVector a = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(x0)
                    .add(((ShortVector) ByteVector.fromMemorySegment(bs, w, q + piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(x1)).reinterpretAsInts();
            IntVector c = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(x0)
                    .add(((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            x0 = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            a = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 2 * piece, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(x0)
                    .add(((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 3 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(x1)).reinterpretAsInts();
            c = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 2 * piece, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(x0)
                    .add(((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 3 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            if ((h & 3) != 3) {
                continue;
            }
            // The exact sums: the lower halves' part of s (s minus 2^16·high, modulo 2^32) less their biases, plus
            // the upper halves' sum.
            s = s.sub(high.lanewise(VectorOperators.LSHL, 16)).add(high).sub(BLOCK_BIAS);
            s2 = s2.sub(high2.lanewise(VectorOperators.LSHL, 16)).add(high2).sub(BLOCK_BIAS);
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
            if (mins) {
                // The mins, converted as the scales, times the activations' block sum.
                FloatVector sx = FloatVector.broadcast(fs, xs[b]);
                hw = (IntVector) ShortVector.fromMemorySegment(hs, w, p + 2L * is.length(), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, is, 0);
                acc = hw.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                        .reinterpretAsInts().or(hw.and(SIGN)).reinterpretAsFloats().fma(sx, acc);
                hw2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2 + 2L * is.length(), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, is, 0);
                acc2 = hw2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                        .reinterpretAsInts().or(hw2.and(SIGN)).reinterpretAsFloats().fma(sx, acc2);
            }
            s = IntVector.zero(is);
            s2 = s;
            high = s;
            high2 = s;
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
