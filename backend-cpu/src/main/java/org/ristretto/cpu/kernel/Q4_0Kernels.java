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
 * Q4_0 weights ({@code half d; u8 qs[16]}, element {@code j} the low nibble of {@code qs[j]} and element
 * {@code j + 16} the high one, both offset by −8) times Q8_0 activations.
 *
 * <p>The block's 16 bytes are zero-extended to 16-bit lanes once, split into nibbles with a mask and a shift, and
 * re-centred; a whole block's products ({@code |q − 8|·127 ≤ 1016} each, at most four per lane) fit in 16-bit lanes,
 * so one narrow pairwise widening per block suffices. Blocks are worked in pieces of at most 16 lanes (256 bits),
 * matching their 16-byte halves.
 */
final class Q4_0Kernels extends QuantKernel {
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    Q4_0Kernels(Lanes lanes) {
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
            IntVector s0 = block(w, o, xq, xo + BLOCK * b);
            IntVector s1 = block(w, o + BYTES, xq, xo + BLOCK * b + BLOCK);
            acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
            acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, half(w, o + BYTES) * xd[db + b + 1]), acc1);
        }
        if (b < nb) {
            long o = row + (long) BYTES * b;
            acc0 = toFloat(block(w, o, xq, xo + BLOCK * b)).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]),
                    acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private IntVector block(MemorySegment w, long o, short[] xq, int xb) {
        VectorSpecies<Short> ss = lanes.pieceShorts();
        ShortVector q0 = unsignedBytes(lanes.pieceBytes(), ss, w, o + 2);
        ShortVector q1 = ss.length() < 16 ? unsignedBytes(lanes.pieceBytes(), ss, w, o + 10) : q0;
        return pairSumNarrow(nibbleProducts(low(q0), high(q0), low(q1), high(q1), xq, xb));
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float dw = half(w, o);
            ShortVector q0 = unsignedBytes(lanes.pieceBytes(), ss, w, o + 2);
            ShortVector q1 = ss.length() < 16 ? unsignedBytes(lanes.pieceBytes(), ss, w, o + 10) : q0;
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
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static ShortVector low(ShortVector q) {
        return q.and((short) 0x0f).sub((short) 8);
    }

    private static ShortVector high(ShortVector q) {
        return q.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
    }
}
