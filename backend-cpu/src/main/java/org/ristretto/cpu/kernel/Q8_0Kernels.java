package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.pairSum;
import static org.ristretto.cpu.kernel.IntDot.signedBytes;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 weights ({@code half d; int8 q[32]}) times Q8_0 activations.
 *
 * <p>Per block, the 32 products {@code q_w·q_x} are formed in 16-bit lanes and widened pairwise to 32 bits; at most
 * two products share a 16-bit lane before widening, since {@code |q_w·q_x| ≤ 128·127} and three would overflow.
 * The block's integer sums are converted to float once and scaled by {@code d_w·d_x} with one FMA into a float
 * accumulator, so no horizontal sum happens per block.
 */
final class Q8_0Kernels extends QuantKernel {
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    Q8_0Kernels(Lanes lanes) {
        super(lanes);
    }

    @Override
    public ActivationFormat activation() {
        return ActivationFormat.Q8_0;
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
        VectorSpecies<Float> fs = lanes.floats();
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

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Short> ss = lanes.shorts();
        int l = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        int dStride = nb;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float dw = half(w, o);
            ShortVector w0 = signedBytes(lanes.halfBytes(), ss, w, o + 2);
            ShortVector w1 = l < BLOCK ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + l) : w0;
            ShortVector w2 = l < BLOCK / 2 ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + 2 * l) : w0;
            ShortVector w3 = l < BLOCK / 2 ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + 3 * l) : w0;
            int xb = xo + BLOCK * b;
            a0 = toFloat(products(w0, w1, w2, w3, xq, xb)).fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
            a1 = toFloat(products(w0, w1, w2, w3, xq, xb + cols))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + dStride + b]), a1);
            a2 = toFloat(products(w0, w1, w2, w3, xq, xb + 2 * cols))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * dStride + b]), a2);
            a3 = toFloat(products(w0, w1, w2, w3, xq, xb + 3 * cols))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + 3 * dStride + b]), a3);
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** The integer products of the block at byte {@code o}, summed into int lanes. */
    private IntVector block(MemorySegment w, long o, short[] xq, int xb) {
        VectorSpecies<Short> ss = lanes.shorts();
        int l = ss.length();
        ShortVector w0 = signedBytes(lanes.halfBytes(), ss, w, o + 2);
        ShortVector w1 = l < BLOCK ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + l) : w0;
        ShortVector w2 = l < BLOCK / 2 ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + 2 * l) : w0;
        ShortVector w3 = l < BLOCK / 2 ? signedBytes(lanes.halfBytes(), ss, w, o + 2 + 3 * l) : w0;
        return products(w0, w1, w2, w3, xq, xb);
    }

    /**
     * The block's products with the activation quants from {@code xb}, given its weights as one (512-bit), two
     * (256-bit) or four (128-bit) vectors of shorts; unused vectors are ignored.
     */
    private static IntVector products(ShortVector w0, ShortVector w1, ShortVector w2, ShortVector w3, short[] xq,
            int xb) {
        VectorSpecies<Short> ss = w0.species();
        int l = ss.length();
        if (l == BLOCK) {
            return pairSum(w0.mul(ShortVector.fromArray(ss, xq, xb)));
        }
        IntVector s = pairSum(w0.mul(ShortVector.fromArray(ss, xq, xb))
                .add(w1.mul(ShortVector.fromArray(ss, xq, xb + l))));
        if (l == BLOCK / 2) {
            return s;
        }
        return s.add(pairSum(w2.mul(ShortVector.fromArray(ss, xq, xb + 2 * l))
                .add(w3.mul(ShortVector.fromArray(ss, xq, xb + 3 * l)))));
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }
}
