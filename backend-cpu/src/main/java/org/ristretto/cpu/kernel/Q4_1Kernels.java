package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.nibbleProducts;
import static org.ristretto.cpu.kernel.IntDot.pairSumNarrow;
import static org.ristretto.cpu.kernel.IntDot.toFloat;
import static org.ristretto.cpu.kernel.IntDot.unsignedBytes;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_1 weights ({@code half d, m; u8 qs[16]}, element value {@code d·q + m} with {@code q} a nibble laid out as in
 * Q4_0) times Q8_0 activations.
 *
 * <p>{@code Σ (d·q + m)·x̂ = d·d_x·Σ q·q_x + m·(d_x·Σ q_x)}: the first term as in Q4_0 (products {@code ≤ 15·127},
 * at most four per 16-bit lane), the second from the per-block {@code d_x·Σq_x} the activations carry.
 */
final class Q4_1Kernels extends QuantKernel {
    private static final int BLOCK = 32;
    private static final int BYTES = 20;

    Q4_1Kernels(Lanes lanes) {
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
            IntVector s0 = block(w, o, xq, xo + BLOCK * b);
            IntVector s1 = block(w, o + BYTES, xq, xo + BLOCK * b + BLOCK);
            acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
            acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, half(w, o + BYTES) * xd[db + b + 1]), acc1);
            offsets += half(w, o + 2) * xs[db + b] + half(w, o + BYTES + 2) * xs[db + b + 1];
        }
        if (b < nb) {
            long o = row + (long) BYTES * b;
            acc0 = toFloat(block(w, o, xq, xo + BLOCK * b)).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]),
                    acc0);
            offsets += half(w, o + 2) * xs[db + b];
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD) + offsets;
    }

    private IntVector block(MemorySegment w, long o, short[] xq, int xb) {
        VectorSpecies<Short> ss = lanes.pieceShorts();
        ShortVector q0 = unsignedBytes(lanes.pieceBytes(), ss, w, o + 4);
        ShortVector q1 = ss.length() < 16 ? unsignedBytes(lanes.pieceBytes(), ss, w, o + 12) : q0;
        return pairSumNarrow(nibbleProducts(low(q0), high(q0), low(q1), high(q1), xq, xb));
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
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
            ShortVector q0 = unsignedBytes(lanes.pieceBytes(), ss, w, o + 4);
            ShortVector q1 = ss.length() < 16 ? unsignedBytes(lanes.pieceBytes(), ss, w, o + 12) : q0;
            ShortVector lo0 = low(q0), hi0 = high(q0), lo1 = low(q1), hi1 = high(q1);
            int xb = xo + BLOCK * b;
            a0 = toFloat(pairSumNarrow(nibbleProducts(lo0, hi0, lo1, hi1, xq, xb)))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
            a1 = toFloat(pairSumNarrow(nibbleProducts(lo0, hi0, lo1, hi1, xq, xb + cols)))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + nb + b]), a1);
            a2 = toFloat(pairSumNarrow(nibbleProducts(lo0, hi0, lo1, hi1, xq, xb + 2 * cols)))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * nb + b]), a2);
            a3 = toFloat(pairSumNarrow(nibbleProducts(lo0, hi0, lo1, hi1, xq, xb + 3 * cols)))
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

    private static ShortVector low(ShortVector q) {
        return q.and((short) 0x0f);
    }

    private static ShortVector high(ShortVector q) {
        return q.lanewise(VectorOperators.LSHR, 4);
    }
}
