package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.nibbleProducts;
import static org.ristretto.cpu.kernel.IntDot.pairSumNarrow;
import static org.ristretto.cpu.kernel.IntDot.toFloat;
import static org.ristretto.cpu.kernel.IntDot.unsignedBytes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0 ({@code half d; u32 qh; u8 qs[16]}, value {@code d·(q − 16)}) and Q5_1 ({@code half d, m; u32 qh; u8 qs[16]},
 * value {@code d·q + m}) weights times Q8_0 activations. The 5-bit {@code q} of element {@code j} is the nibble as in
 * Q4_0 plus bit {@code j} of {@code qh} as its fifth bit.
 *
 * <p>The fifth bits are spread over the lanes by broadcasting the relevant 16 (or 8) bits of {@code qh}, masking
 * each lane's own bit and comparing with zero. Products are at most {@code 31·127}, four per 16-bit lane at most,
 * so one narrow pairwise widening per block suffices, as for Q4_0.
 */
final class Q5Kernels {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 32;
    /** Lane {@code j} holds bit {@code j}. */
    private static final short[] LANE_BITS = new short[16];

    static {
        for (int j = 0; j < 16; j++) {
            LANE_BITS[j] = (short) (1 << j);
        }
    }

    private Q5Kernels() {}

    /** The unpacked 5-bit values of one block, as four pieces (two when pieces have 16 lanes). */
    private record Block(ShortVector lo0, ShortVector hi0, ShortVector lo1, ShortVector hi1) {
        ShortVector products(short[] xq, int xb) {
            return nibbleProducts(lo0, hi0, lo1, hi1, xq, xb);
        }
    }

    /**
     * Unpacks the block whose {@code qh} is at byte {@code qhAt} and nibbles at {@code qsAt}, subtracting
     * {@code bias} from every value.
     */
    private static Block unpack(Lanes lanes, MemorySegment w, long qhAt, long qsAt, short bias) {
        VectorSpecies<Short> ss = lanes.pieceShorts();
        int p = ss.length();
        int qh = w.get(I32, qhAt);
        ShortVector bits = ShortVector.fromArray(ss, LANE_BITS, 0);
        ShortVector q0 = unsignedBytes(lanes.pieceBytes(), ss, w, qsAt);
        ShortVector lo0 = fifthBit(q0.and((short) 0x0f), bits, qh, bias);
        ShortVector hi0 = fifthBit(q0.lanewise(VectorOperators.LSHR, 4), bits, qh >>> 16, bias);
        if (p == 16) {
            return new Block(lo0, hi0, lo0, hi0);
        }
        ShortVector q1 = unsignedBytes(lanes.pieceBytes(), ss, w, qsAt + 8);
        ShortVector lo1 = fifthBit(q1.and((short) 0x0f), bits, qh >>> 8, bias);
        ShortVector hi1 = fifthBit(q1.lanewise(VectorOperators.LSHR, 4), bits, qh >>> 24, bias);
        return new Block(lo0, hi0, lo1, hi1);
    }

    /** {@code nibbles} with 16 added where lane {@code j} has bit {@code j} of {@code bits16} set, minus bias. */
    private static ShortVector fifthBit(ShortVector nibbles, ShortVector laneBits, int bits16, short bias) {
        VectorMask<Short> set = ShortVector.broadcast(laneBits.species(), (short) bits16).and(laneBits)
                .compare(VectorOperators.NE, 0);
        ShortVector base = bias == 0 ? nibbles : nibbles.sub(bias);
        return base.blend(base.add((short) 16), set);
    }

    /** Q5_0: {@code d·(q − 16)}. */
    static final class Q5_0 extends QuantKernel {
        private static final int BYTES = 22;

        Q5_0(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_0;
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc0 = FloatVector.zero(fs);
            FloatVector acc1 = acc0;
            int b = 0;
            for (; b + 1 < nb; b += 2) {
                long o = row + (long) BYTES * b;
                IntVector s0 = pairSumNarrow(unpack(lanes, w, o + 2, o + 6, (short) 16).products(xq, xo + BLOCK * b));
                IntVector s1 = pairSumNarrow(unpack(lanes, w, o + BYTES + 2, o + BYTES + 6, (short) 16)
                        .products(xq, xo + BLOCK * b + BLOCK));
                acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
                acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, half(w, o + BYTES) * xd[db + b + 1]), acc1);
            }
            if (b < nb) {
                long o = row + (long) BYTES * b;
                IntVector s0 = pairSumNarrow(unpack(lanes, w, o + 2, o + 6, (short) 16).products(xq, xo + BLOCK * b));
                acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float dw = half(w, o);
                Block q = unpack(lanes, w, o + 2, o + 6, (short) 16);
                int xb = xo + BLOCK * b;
                a0 = toFloat(pairSumNarrow(q.products(xq, xb))).fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
                a1 = toFloat(pairSumNarrow(q.products(xq, xb + cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + nb + b]), a1);
                a2 = toFloat(pairSumNarrow(q.products(xq, xb + 2 * cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * nb + b]), a2);
                a3 = toFloat(pairSumNarrow(q.products(xq, xb + 3 * cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 3 * nb + b]), a3);
            }
            res[0] = a0.reduceLanes(VectorOperators.ADD);
            res[1] = a1.reduceLanes(VectorOperators.ADD);
            res[2] = a2.reduceLanes(VectorOperators.ADD);
            res[3] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    /** Q5_1: {@code d·q + m}, the offset through the activations' per-block {@code d_x·Σq_x}. */
    static final class Q5_1 extends QuantKernel {
        private static final int BYTES = 24;

        Q5_1(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_0;
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            short[] xq = x.q;
            float[] xd = x.d;
            float[] xs = x.blockSum;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc0 = FloatVector.zero(fs);
            FloatVector acc1 = acc0;
            float offsets = 0;
            int b = 0;
            for (; b + 1 < nb; b += 2) {
                long o = row + (long) BYTES * b;
                IntVector s0 = pairSumNarrow(unpack(lanes, w, o + 4, o + 8, (short) 0).products(xq, xo + BLOCK * b));
                IntVector s1 = pairSumNarrow(unpack(lanes, w, o + BYTES + 4, o + BYTES + 8, (short) 0)
                        .products(xq, xo + BLOCK * b + BLOCK));
                acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
                acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, half(w, o + BYTES) * xd[db + b + 1]), acc1);
                offsets += half(w, o + 2) * xs[db + b] + half(w, o + BYTES + 2) * xs[db + b + 1];
            }
            if (b < nb) {
                long o = row + (long) BYTES * b;
                IntVector s0 = pairSumNarrow(unpack(lanes, w, o + 4, o + 8, (short) 0).products(xq, xo + BLOCK * b));
                acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
                offsets += half(w, o + 2) * xs[db + b];
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD) + offsets;
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            short[] xq = x.q;
            float[] xd = x.d;
            float[] xs = x.blockSum;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
            float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float dw = half(w, o);
                float mw = half(w, o + 2);
                Block q = unpack(lanes, w, o + 4, o + 8, (short) 0);
                int xb = xo + BLOCK * b;
                a0 = toFloat(pairSumNarrow(q.products(xq, xb))).fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
                a1 = toFloat(pairSumNarrow(q.products(xq, xb + cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + nb + b]), a1);
                a2 = toFloat(pairSumNarrow(q.products(xq, xb + 2 * cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * nb + b]), a2);
                a3 = toFloat(pairSumNarrow(q.products(xq, xb + 3 * cols)))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 3 * nb + b]), a3);
                m0 += mw * xs[db + b];
                m1 += mw * xs[db + nb + b];
                m2 += mw * xs[db + 2 * nb + b];
                m3 += mw * xs[db + 3 * nb + b];
            }
            res[0] = a0.reduceLanes(VectorOperators.ADD) + m0;
            res[1] = a1.reduceLanes(VectorOperators.ADD) + m1;
            res[2] = a2.reduceLanes(VectorOperators.ADD) + m2;
            res[3] = a3.reduceLanes(VectorOperators.ADD) + m3;
        }
    }
}
