package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 weights ({@code half d; int8 q[32]}) times Q8_0 activations.
 *
 * <p>Per block, the 32 products {@code q_w·q_x} are formed in 16-bit lanes and widened pairwise to 32 bits; at most
 * two products share a 16-bit lane before widening, since {@code |q_w·q_x| ≤ 128·127} and three could overflow.
 * The block's integer sums are converted to float once and scaled by {@code d_w·d_x} with one FMA into a float
 * accumulator, so no horizontal sum happens per block. Works at the full vector width (a 512-bit vector holds a
 * whole block).
 *
 * <p>One token ({@link #dotRows}) reads four rows at once, each a sequential stream of its own. On a 2-core Zen 5,
 * one thread read an 8192×2048 matrix from memory at 24–25 GB/s that way, as fast as {@link PackedQ8_0}, against 14
 * one row at a time; a 1B model decoded from the file's mapping ({@code --no-repack}, two threads) at 20–22 tokens/s
 * against 13–18. With two threads the packed copy stays ahead (28 against 23 tokens/s, 2026-12-06): this kernel does
 * about twice the work per weight (a scale per row and block, the widening per row), and two cores run out of it.
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
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        int l = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector acc = FloatVector.zero(fs);
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            int xb = xo + BLOCK * b;
            ShortVector p = ((ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(ShortVector.fromArray(ss, xq, xb));
            if (l < BLOCK) {
                p = ((ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + l, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(ShortVector.fromArray(ss, xq, xb + l)).add(p);
            }
            IntVector v = p.reinterpretAsInts();
            IntVector s = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(v.lanewise(VectorOperators.ASHR, 16));
            if (l < BLOCK / 2) {
                ShortVector p2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + 2 * l,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2S, ss, 0))
                        .mul(ShortVector.fromArray(ss, xq, xb + 2 * l))
                        .add(((ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + 3 * l, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2S, ss, 0)).mul(ShortVector.fromArray(ss, xq, xb + 3 * l)));
                IntVector v2 = p2.reinterpretAsInts();
                s = v2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v2.lanewise(VectorOperators.ASHR, 16)).add(s);
            }
            acc = ((FloatVector) s.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, o)) * xd[db + b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public int rowsAtOnce() {
        return 4;
    }

    @Override
    public void dotRows(MemorySegment w, long rowOffset, long stride, int cols, Activations x, float[] res) {
        w = NativeSegments.of(w);
        VectorSpecies<Short> ss = lanes.shorts();
        if (ss.length() < BLOCK) {
            dotRowsNarrow(w, rowOffset, stride, cols, x, res);
            return;
        }
        // A vector holds a block: one product per 16-bit half, whose pair sum fits 16 bits, so that one shift pair
        // widens it. Written apart from the narrow case: with both in one loop this ran at 85% of the speed.
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        long r0 = rowOffset;
        long r1 = r0 + stride;
        long r2 = r1 + stride;
        long r3 = r2 + stride;
        IntVector sixteen = IntVector.broadcast(lanes.ints(), 16);
        FloatVector zero = FloatVector.zero(fs);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long o = (long) BYTES * b;
            ShortVector xv = ShortVector.fromArray(ss, xq, BLOCK * b);
            float dx = xd[b];
            IntVector v0 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r0 + o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).reinterpretAsInts();
            IntVector v1 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r1 + o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).reinterpretAsInts();
            IntVector v2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r2 + o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).reinterpretAsInts();
            IntVector v3 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r3 + o + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).reinterpretAsInts();
            v0 = v0.lanewise(VectorOperators.LSHL, sixteen).add(v0).lanewise(VectorOperators.ASHR, sixteen);
            v1 = v1.lanewise(VectorOperators.LSHL, sixteen).add(v1).lanewise(VectorOperators.ASHR, sixteen);
            v2 = v2.lanewise(VectorOperators.LSHL, sixteen).add(v2).lanewise(VectorOperators.ASHR, sixteen);
            v3 = v3.lanewise(VectorOperators.LSHL, sixteen).add(v3).lanewise(VectorOperators.ASHR, sixteen);
            a0 = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r0 + o)) * dx), a0);
            a1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r1 + o)) * dx), a1);
            a2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r2 + o)) * dx), a2);
            a3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r3 + o)) * dx), a3);
        }
        // Reduced through a fresh vector: the finished accumulators are operands only (IntDot).
        res[0] = zero.add(a0).reduceLanes(VectorOperators.ADD);
        res[1] = zero.add(a1).reduceLanes(VectorOperators.ADD);
        res[2] = zero.add(a2).reduceLanes(VectorOperators.ADD);
        res[3] = zero.add(a3).reduceLanes(VectorOperators.ADD);
    }

    /** {@link #dotRows} where a vector holds half a block or less. */
    private void dotRowsNarrow(MemorySegment w, long rowOffset, long stride, int cols, Activations x, float[] res) {
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        int l = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        long r0 = rowOffset;
        long r1 = r0 + stride;
        long r2 = r1 + stride;
        long r3 = r2 + stride;
        IntVector sixteen = IntVector.broadcast(lanes.ints(), 16);
        FloatVector zero = FloatVector.zero(fs);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long o = (long) BYTES * b;
            float dx = xd[b];
            for (int k = 0; k < BLOCK; k += 2 * l) {
                // As in dot4: two pieces of l values per 16-bit lane.
                ShortVector x0 = ShortVector.fromArray(ss, xq, BLOCK * b + k);
                ShortVector x1 = ShortVector.fromArray(ss, xq, BLOCK * b + k + l);
                long q = o + 2 + k;
                ShortVector p0 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r0 + q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x0);
                ShortVector p1 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r1 + q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x0);
                ShortVector p2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r2 + q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x0);
                ShortVector p3 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r3 + q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x0);
                p0 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r0 + q + l, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x1).add(p0);
                p1 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r1 + q + l, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x1).add(p1);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r2 + q + l, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x1).add(p2);
                p3 = ((ShortVector) ByteVector.fromMemorySegment(bs, w, r3 + q + l, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(x1).add(p3);
                IntVector v0 = p0.reinterpretAsInts(), v1 = p1.reinterpretAsInts();
                IntVector v2 = p2.reinterpretAsInts(), v3 = p3.reinterpretAsInts();
                v0 = v0.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v0.lanewise(VectorOperators.ASHR, sixteen));
                v1 = v1.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v1.lanewise(VectorOperators.ASHR, sixteen));
                v2 = v2.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v2.lanewise(VectorOperators.ASHR, sixteen));
                v3 = v3.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v3.lanewise(VectorOperators.ASHR, sixteen));
                a0 = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r0 + o)) * dx), a0);
                a1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r1 + o)) * dx), a1);
                a2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r2 + o)) * dx), a2);
                a3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, r3 + o)) * dx), a3);
            }
        }
        // Reduced through a fresh vector: the finished accumulators are operands only (IntDot).
        res[0] = zero.add(a0).reduceLanes(VectorOperators.ADD);
        res[1] = zero.add(a1).reduceLanes(VectorOperators.ADD);
        res[2] = zero.add(a2).reduceLanes(VectorOperators.ADD);
        res[3] = zero.add(a3).reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        int l = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float dw = Float.float16ToFloat(w.get(IntDot.I16, o));
            for (int k = 0; k < BLOCK; k += 2 * l) {
                // Two pieces of l values (one when a vector holds the whole block), so that at most two products
                // share a 16-bit lane.
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, ss, 0);
                ShortVector w1 = l < BLOCK ? (ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + k + l,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2S, ss, 0) : w0;
                int xb = xo + BLOCK * b + k;
                ShortVector p0 = w0.mul(ShortVector.fromArray(ss, xq, xb));
                ShortVector p1 = w0.mul(ShortVector.fromArray(ss, xq, xb + cols));
                ShortVector p2 = w0.mul(ShortVector.fromArray(ss, xq, xb + 2 * cols));
                ShortVector p3 = w0.mul(ShortVector.fromArray(ss, xq, xb + 3 * cols));
                if (l < BLOCK) {
                    p0 = w1.mul(ShortVector.fromArray(ss, xq, xb + l)).add(p0);
                    p1 = w1.mul(ShortVector.fromArray(ss, xq, xb + cols + l)).add(p1);
                    p2 = w1.mul(ShortVector.fromArray(ss, xq, xb + 2 * cols + l)).add(p2);
                    p3 = w1.mul(ShortVector.fromArray(ss, xq, xb + 3 * cols + l)).add(p3);
                }
                IntVector v0 = p0.reinterpretAsInts(), v1 = p1.reinterpretAsInts();
                IntVector v2 = p2.reinterpretAsInts(), v3 = p3.reinterpretAsInts();
                v0 = v0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v0.lanewise(VectorOperators.ASHR, 16));
                v1 = v1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v1.lanewise(VectorOperators.ASHR, 16));
                v2 = v2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v2.lanewise(VectorOperators.ASHR, 16));
                v3 = v3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v3.lanewise(VectorOperators.ASHR, 16));
                a0 = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
                a1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + nb + b]), a1);
                a2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * nb + b]), a2);
                a3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, dw * xd[db + 3 * nb + b]), a3);
            }
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
