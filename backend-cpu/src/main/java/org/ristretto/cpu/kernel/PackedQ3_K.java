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
 * Q3_K in groups of rows ({@link PackedKernel}), times Q8_K activations.
 *
 * <p>A packed block of 256 columns is the group's {@code d} as floats, the sixteen sub-block scales as signed bytes
 * (bias of 32 taken off), then 32 pieces of four bytes per row (as {@link PackedQ4_0}'s pieces), of 4-bit values
 * {@code q + 4} ({@code 0..7}: the file's two low bits with the high bit put back). Pieces {@code 4s..4s+3} hold
 * sub-blocks {@code 2s} and {@code 2s+1} (16 columns each): in a lane's lower half, nibbles 0 and 2 are columns
 * {@code 4u} and {@code 4u+1} of sub-block {@code 2s} (piece {@code u} of the four), nibbles 1 and 3 the same
 * columns of sub-block {@code 2s+1}, and the upper half the next two columns. The offset of 4 comes back per
 * sub-block from the activations' sums of 16: {@code Σq·x = Σ(q + 4)·x − 4·Σx}. That is 148 bytes per row and
 * block instead of 110, where a byte per quant would have cost 276.
 */
final class PackedQ3_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 110;
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;
    /** Packed bytes per row and block: {@code d} as a float, 16 scales, 128 bytes of 4-bit values. */
    private static final int PACKED_ROW = 4 + 16 + 128;
    private static final int NIBBLES = 0x000f000f;
    /** Column, within a pair of sub-blocks, of nibble {@code n} in the lower half of a lane of piece 0. */
    private static final int[] COLUMN = {0, 16, 1, 17};

    PackedQ3_K(Lanes lanes) {
        super(GgmlType.Q3_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
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
                    // ggml's unpacking of the 12 scale bytes: four low bits, then two high ones, biased by 32.
                    int low = (in[block + SCALES + j % 8] & 0xff) >> 4 * (j / 8) & 0xf;
                    int high = (in[block + SCALES + 8 + j % 4] & 0xff) >> 2 * (j / 4) & 3;
                    out[o + packedScales + rows * j + r] = (byte) ((low | high << 4) - 32);
                }
                for (int t = 0; t < 32; t++) {
                    int at = o + packedQuants + 4 * rows * t + 4 * r;
                    int first = 32 * (t / 4) + 4 * (t % 4);
                    for (int half = 0; half < 2; half++) {
                        int c = first + 2 * half;
                        int word = value(in, block, c + COLUMN[0]) | value(in, block, c + COLUMN[1]) << 4
                                | value(in, block, c + COLUMN[2]) << 8 | value(in, block, c + COLUMN[3]) << 12;
                        out[at + 2 * half] = (byte) word;
                        out[at + 2 * half + 1] = (byte) (word >> 8);
                    }
                }
            }
        }
        return true; // the scale is converted to a float here, exactly
    }

    /**
     * Quant {@code c} of the block at {@code in[block]} plus 4 ({@code 0..7}): bits {@code 2k, 2k+1} of
     * {@code qs[32h + l]} and bit {@code 4h + k} of {@code hmask[l]} for column {@code 128h + 32k + l}.
     */
    private static int value(byte[] in, int block, int c) {
        int h = c / 128;
        int k = c % 128 / 32;
        int l = c % 32;
        int low = (in[block + QS + 32 * h + l] & 0xff) >> 2 * k & 3;
        int high = (in[block + HMASK + l] & 0xff) >> 4 * h + k & 1;
        return low | high << 2;
    }

    @Override
    void pairs(Activations x) {
        for (int b = 0; b < x.cols / BLOCK; b++) {
            for (int t = 0; t < 32; t++) {
                int first = BLOCK * b + 32 * (t / 4) + 4 * (t % 4);
                for (int n = 0; n < 4; n++) {
                    int c = first + COLUMN[n];
                    x.pairs[128 * b + 4 * t + n] = pair(x.q[c], x.q[c + 2]);
                }
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
        int piece = 4 * n;
        int packedScales = 4 * n;
        int packedQuants = packedScales + 16 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] bsums = x.bsums;
        // The top nibble of a 16-bit half needs no mask when shifted within the half (see IntDot on the count).
        ShortVector twelve = ShortVector.broadcast(ss, (short) 12);
        IntVector sixteen = IntVector.broadcast(is, 16);
        FloatVector zero = FloatVector.zero(fs);
        FloatVector acc = zero;
        FloatVector acc2 = zero;
        IntVector sum = IntVector.zero(is);
        IntVector sum2 = sum;
        ShortVector even = ShortVector.zero(ss);
        ShortVector odd = even;
        ShortVector even2 = even;
        ShortVector odd2 = even;
        // One loop over the half sub-block pairs (two pieces each) of all blocks, the pair and block ends branches,
        // as in PackedQ4_K: on a 2-core Zen 4 a loop over sub-block pairs ran 1.16 (one thread, in the caches), 1.18
        // (two threads, L3) and 1.01-1.06 (from memory) times a loop over blocks around one over the pairs. Two
        // pieces per step, not a pair's four: with four written out (2041 bytes) C1's profiling tier gave up on the
        // method ("out of virtual registers in LIR generator"), C2 compiled it without a profile, and in 3 of 9 cold
        // runs of a 1B Q3_K_M model 64 tokens took over 45 s in the Vector API's Java fallbacks instead of 2.
        int steps = cols / BLOCK * 16;
        for (int i = 0; i < steps; i++) {
            int b = i >>> 4;
            int s = i >>> 1 & 7;
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            long q = p + packedQuants + 2L * piece * (i & 15);
            long q2 = p2 + packedQuants + 2L * piece * (i & 15);
            int k = 8 * i;
            // The step's two pieces, written out (a loop over them compiled with its bookkeeping inside, as
            // PackedQ8_0 found).
            IntVector v = IntVector.fromMemorySegment(is, w, q, ByteOrder.LITTLE_ENDIAN);
            IntVector u = IntVector.fromMemorySegment(is, w2, q2, ByteOrder.LITTLE_ENDIAN);
            ShortVector x0 = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            ShortVector x1 = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            ShortVector x2 = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            ShortVector x3 = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            even = v.and(NIBBLES).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2)).add(even);
            odd = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                    .add(v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3)).add(odd);
            even2 = u.and(NIBBLES).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2)).add(even2);
            odd2 = u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                    .add(u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3)).add(odd2);
            v = IntVector.fromMemorySegment(is, w, q + piece, ByteOrder.LITTLE_ENDIAN);
            u = IntVector.fromMemorySegment(is, w2, q2 + piece, ByteOrder.LITTLE_ENDIAN);
            x0 = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
            x2 = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
            x3 = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
            even = v.and(NIBBLES).reinterpretAsShorts().mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2)).add(even);
            odd = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                    .add(v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3)).add(odd);
            even2 = u.and(NIBBLES).reinterpretAsShorts().mul(x0)
                    .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2)).add(even2);
            odd2 = u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1)
                    .add(u.reinterpretAsShorts().lanewise(VectorOperators.LSHR, twelve).mul(x3)).add(odd2);
            if ((i & 1) == 0) {
                continue;
            }
            // Per sub-block: the halves widened and added, the offset of 4 taken back through the activations'
            // sum of the sub-block, times its scale.
            IntVector offsetEven = IntVector.broadcast(is, -4 * bsums[16 * b + 2 * s]);
            IntVector offsetOdd = IntVector.broadcast(is, -4 * bsums[16 * b + 2 * s + 1]);
            IntVector scEven = (IntVector) ByteVector.fromMemorySegment(qb, w, p + packedScales + 2L * n * s,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, is, 0);
            IntVector scOdd = (IntVector) ByteVector.fromMemorySegment(qb, w, p + packedScales + 2L * n * s + n,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, is, 0);
            IntVector e = even.reinterpretAsInts();
            IntVector d = odd.reinterpretAsInts();
            sum = e.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                    .add(e.lanewise(VectorOperators.ASHR, sixteen)).add(offsetEven).mul(scEven)
                    .add(d.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                            .add(d.lanewise(VectorOperators.ASHR, sixteen)).add(offsetOdd).mul(scOdd))
                    .add(sum);
            scEven = (IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedScales + 2L * n * s,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, is, 0);
            scOdd = (IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedScales + 2L * n * s + n,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, is, 0);
            e = even2.reinterpretAsInts();
            d = odd2.reinterpretAsInts();
            sum2 = e.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                    .add(e.lanewise(VectorOperators.ASHR, sixteen)).add(offsetEven).mul(scEven)
                    .add(d.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                            .add(d.lanewise(VectorOperators.ASHR, sixteen)).add(offsetOdd).mul(scOdd))
                    .add(sum2);
            even = ShortVector.zero(ss);
            odd = even;
            even2 = even;
            odd2 = even;
            if (s == 7) {
                FloatVector dx = FloatVector.broadcast(fs, xd[b]);
                acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
                acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
                sum = IntVector.zero(is);
                sum2 = sum;
            }
        }
        // Stored through a fresh vector: the finished accumulators are operands only (IntDot).
        zero.add(acc).intoArray(out, o);
        zero.add(acc2).intoArray(out2, o2);
    }
}
