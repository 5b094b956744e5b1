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
 * <p>A packed block of 256 columns is the group's {@code d}, then its {@code dmin}, as fp16 (2 bytes per row each,
 * converted in the kernel as {@link PackedQ4_0} does), then the sub-block scales and then mins unpacked from 6 bits
 * to one byte each (sub-block after sub-block, a byte per row each), then 32 pieces of a 32-bit word per row, four
 * per sub-block: in piece {@code t} (of the block; sub-block {@code t / 4}), nibble {@code n} of a word's lower
 * 16-bit half is column {@code 8t + 2n} and of its upper half that column plus one. 148 bytes per row and block
 * instead of the file's 144: decoding is bound by memory bandwidth, and the earlier float {@code d}/{@code dmin}
 * (152 bytes) made every Q4_K product read 5.6% more. Measured on the 2-core Zen 4 with {@code BuildAb} (one token,
 * 8192×2048 from memory, two threads; 2048×2048 from L2, one thread), against 152 bytes: 1.042 from memory, 0.994
 * from L2. The file's 144 bytes (the mins' low nibbles in pairs, their high bits beside the scales) read 1% faster
 * from memory than 148 but 10% slower from L2, where the kernel is bound by its instructions (six more per sub-block
 * to take the mins apart), and products of a few tokens run from L2.
 *
 * <p>So every half holds four quants of one sub-block, and the kernel multiplies them as {@link PackedQ4_0} does:
 * shifted by {@code 4n} without a mask, against telescoped activations ({@link PackedKernel#telescoped}). A
 * sub-block's four pieces sum in 16-bit lanes (sixteen products of at most {@code 15·127} per half), widen once and
 * are multiplied by the sub-block's scale in 32 bits. The file's own order (byte {@code i} of the quants holds column
 * {@code 64⌊i/32⌋ + i % 32} in its low nibble and that plus 32 in its high one) puts two sub-blocks in every half,
 * whose nibbles the earlier kernel masked one by one.
 *
 * <p>The kernel is one loop over all pieces of the two groups, a piece of each per step, with the sub-block and block
 * ends as branches. Measured on a 2-core Zen 4 against the earlier masked kernel (two loops, over sub-block pairs
 * and their eight pieces): 1.10–1.15 times from the caches, the same from memory. A loop over sub-block pairs around
 * one over pieces re-established the inner loop's range checks at every entry (0.84–0.95); written out in full, C2
 * scheduled all broadcasts first and spilled them (0.71); two pieces of each group per step ran faster from the caches
 * but 0.82–0.91 from memory.
 */
final class PackedQ4_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int QS = 16;
    /** Packed bytes per row and block: {@code d} and {@code dmin} as fp16, 8 scales, 8 mins, 128 quant bytes. */
    private static final int PACKED_ROW = 4 + 8 + 8 + 128;

    PackedQ4_K(Lanes lanes) {
        super(GgmlType.Q4_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedQuants = 20 * rows;
        boolean finite = true;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                finite &= copyHalf(in, block, out, o + 2 * r);
                finite &= copyHalf(in, block + 2, out, o + 2 * rows + 2 * r);
                packKScalesAndMins(in, block + 4, out, o + 4 * rows, r);
                for (int c = 0; c < 4; c++) {
                    // Columns 8t..8t+7 of sub-blocks 2c and 2c+1 are the low and high nibbles of bytes 8t..8t+7 of
                    // the block's c-th run of 32 quant bytes.
                    for (int t = 0; t < 4; t++) {
                        long bytes = getLong(in, block + QS + 32 * c + 8 * t);
                        int at = o + packedQuants + 4 * rows * (8 * c + t) + 4 * r;
                        putInt(out, at, word(bytes & 0x0f0f0f0f0f0f0f0fL));
                        putInt(out, at + 16 * rows, word(bytes >>> 4 & 0x0f0f0f0f0f0f0f0fL));
                    }
                }
            }
        }
        return finite;
    }

    /**
     * The packed word of eight columns whose 4-bit quants are the bytes of {@code nibbles}: the even columns' quants as
     * nibbles 0 to 3 of the lower half, the odd ones' of the upper half.
     */
    private static int word(long nibbles) {
        long even = nibbles & 0x000f000f000f000fL;
        long odd = nibbles >>> 8 & 0x000f000f000f000fL;
        even = (even | even >>> 12) & 0x000000ff000000ffL;
        odd = (odd | odd >>> 12) & 0x000000ff000000ffL;
        return (int) ((even | even >>> 24) & 0xffff) | (int) ((odd | odd >>> 24) & 0xffff) << 16;
    }

    /**
     * Pair {@code 4t + n} of a block: the telescoped activations ({@link PackedKernel#telescoped}) of nibble {@code n}
     * of piece {@code t}, whose lower half holds columns {@code 8t + 2n} and upper half {@code 8t + 2n + 1}. So pair
     * {@code i} of the row is columns {@code 2i} and {@code 2i + 1}, less 16 times the two columns before them except
     * at nibble 0 (the first two columns of every eight).
     *
     * <p>Scalar, about 2 µs for 2048 columns, once per product. The Vector API version (16-bit lanes reinterpreted as
     * pairs, 0.1 µs when compiled well) compiled to boxed vectors whenever the JIT compiled it without a type profile
     * of its own (from C1's lightly profiled tier): then it allocated about 400 KB per token of a 1B Q4_K_M model
     * and ran no faster than this, in five runs out of five of a decoding harness. A version in 32-bit lanes read
     * through a heap segment did the same in another harness.
     */
    @Override
    void pairs(Activations x) {
        short[] q = x.q;
        int[] out = x.pairs;
        for (int c = 0; c + 8 <= x.cols; c += 8) {
            out[c / 2] = pair(q[c], q[c + 1]);
            out[c / 2 + 1] = pair(q[c + 2] - 16 * q[c], q[c + 3] - 16 * q[c + 1]);
            out[c / 2 + 2] = pair(q[c + 4] - 16 * q[c + 2], q[c + 5] - 16 * q[c + 3]);
            out[c / 2 + 3] = pair(q[c + 6] - 16 * q[c + 4], q[c + 7] - 16 * q[c + 5]);
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
        VectorSpecies<Short> hs = lanes.halfShorts();
        int n = is.length();
        int piece = 4 * n;
        int packedScales = 4 * n;
        int packedMins = 12 * n;
        int packedQuants = 20 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] s32 = x.sums32;
        // Shift counts as vectors, as in PackedQ4_0.
        ShortVector shift4 = ShortVector.broadcast(ss, (short) 4);
        ShortVector shift8 = ShortVector.broadcast(ss, (short) 8);
        ShortVector shift12 = ShortVector.broadcast(ss, (short) 12);
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        IntVector sum = IntVector.zero(is);
        IntVector sum2 = sum;
        IntVector mins = sum;
        IntVector mins2 = sum;
        ShortVector s = ShortVector.zero(ss);
        ShortVector s2 = s;
        int steps = cols / BLOCK * 32;
        // The blocks' starts move on at each block end: computed from the step, they cost a multiply and shifts per
        // piece (measured: 1.07 one thread from L2, 1.03 two threads from L3).
        long p = group;
        long p2 = group2;
        for (int i = 0; i < steps; i++) {
            int b = i >>> 5;
            long at = packedQuants + (long) piece * (i & 31);
            int k = 4 * i;
            ShortVector v = IntVector.fromMemorySegment(is, w, p + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            ShortVector u = IntVector.fromMemorySegment(is, w2, p2 + at, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
            ShortVector x0 = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
            ShortVector x1 = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            ShortVector x2 = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            ShortVector x3 = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            s = v.mul(x0).add(v.lanewise(VectorOperators.LSHR, shift4).mul(x1))
                    .add(v.lanewise(VectorOperators.LSHR, shift8).mul(x2))
                    .add(v.lanewise(VectorOperators.LSHR, shift12).mul(x3)).add(s);
            s2 = u.mul(x0).add(u.lanewise(VectorOperators.LSHR, shift4).mul(x1))
                    .add(u.lanewise(VectorOperators.LSHR, shift8).mul(x2))
                    .add(u.lanewise(VectorOperators.LSHR, shift12).mul(x3)).add(s2);
            if ((i & 3) == 3) {
                int j = i >>> 2 & 7;
                short sx = s32[8 * b + j];
                IntVector e = s.reinterpretAsInts();
                sum = e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w,
                        p + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).add(sum);
                mins = ((IntVector) ByteVector.fromMemorySegment(qb, w, p + packedMins + n * j,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sx)
                        .add(mins);
                e = s2.reinterpretAsInts();
                sum2 = e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w2,
                        p2 + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).add(sum2);
                mins2 = ((IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedMins + n * j,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sx)
                        .add(mins2);
                s = ShortVector.zero(ss);
                s2 = s;
                if ((i & 31) == 31) {
                    float dx = xd[b];
                    // d and dmin, fp16 to float as in PackedQ4_0: the magnitude's bits in a float's places times
                    // 2^(127-15), exact for zeros and subnormals too, then the sign, which the sign-extending load
                    // put in bit 31.
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(hs, w, p, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    IntVector hm = (IntVector) ShortVector.fromMemorySegment(hs, w, p + 2 * n, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    IntVector h2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    IntVector hm2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2 + 2 * n,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, is, 0);
                    FloatVector d = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                            .mul(HALF_BIAS).reinterpretAsInts().or(h.and(SIGN)).reinterpretAsFloats();
                    FloatVector dmin = hm.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                            .mul(HALF_BIAS).reinterpretAsInts().or(hm.and(SIGN)).reinterpretAsFloats();
                    FloatVector d2 = h2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                            .mul(HALF_BIAS).reinterpretAsInts().or(h2.and(SIGN)).reinterpretAsFloats();
                    FloatVector dmin2 = hm2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                            .mul(HALF_BIAS).reinterpretAsInts().or(hm2.and(SIGN)).reinterpretAsFloats();
                    acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0)).fma(d.mul(dx), acc);
                    acc = ((FloatVector) mins.convertShape(VectorOperators.I2F, fs, 0)).fma(dmin.mul(-dx), acc);
                    acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0)).fma(d2.mul(dx), acc2);
                    acc2 = ((FloatVector) mins2.convertShape(VectorOperators.I2F, fs, 0)).fma(dmin2.mul(-dx), acc2);
                    sum = IntVector.zero(is);
                    sum2 = sum;
                    mins = sum;
                    mins2 = sum;
                    p += packed;
                    p2 += packed;
                }
            }
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
