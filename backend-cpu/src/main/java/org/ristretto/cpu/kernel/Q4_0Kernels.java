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
 * Q4_0 weights ({@code half d; u8 qs[16]}, element {@code j} the low nibble of {@code qs[j]} and element
 * {@code j + 16} the high one, both offset by −8) times Q8_0 activations.
 *
 * <p>The block's 16 bytes are zero-extended to 16-bit lanes once, split into nibbles with a mask and a shift, and
 * re-centred. A whole block's products ({@code |q − 8|·127 ≤ 1016} each, at most four per lane, pairs of lanes
 * at most 8128) fit in 16 bits, so one narrow pairwise widening per block suffices: {@code v + (v << 16)} holds the
 * pair's sum in its upper half. Blocks are worked in pieces of at most 16 lanes (256 bits), matching their 16-byte
 * halves; with 8-lane pieces a block takes two.
 *
 * <p>Like every kernel here, the loops are written out in full: a Vector API helper method that the JIT compiled
 * on its own before its caller would not be inlined, and its vectors would then live on the heap.
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
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        VectorSpecies<Byte> bs = lanes.pieceBytes();
        int p = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector acc = FloatVector.zero(fs);
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            int xb = xo + BLOCK * b;
            ShortVector s = ShortVector.zero(ss);
            for (int k = 0; k < 16; k += p) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                s = q.and((short) 0x0f).sub((short) 8).mul(ShortVector.fromArray(ss, xq, xb + k))
                        .add(q.lanewise(VectorOperators.LSHR, 4).sub((short) 8)
                                .mul(ShortVector.fromArray(ss, xq, xb + 16 + k))).add(s);
            }
            IntVector v = s.reinterpretAsInts();
            v = v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            acc = ((FloatVector) v.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, o)) * xd[db + b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        VectorSpecies<Byte> bs = lanes.pieceBytes();
        int p = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            int xb = xo + BLOCK * b;
            ShortVector s0 = ShortVector.zero(ss), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 16; k += p) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + 2 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = q.and((short) 0x0f).sub((short) 8);
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
                int x0 = xb + k;
                s0 = lo.mul(ShortVector.fromArray(ss, xq, x0))
                        .add(hi.mul(ShortVector.fromArray(ss, xq, x0 + 16))).add(s0);
                s1 = lo.mul(ShortVector.fromArray(ss, xq, x0 + cols))
                        .add(hi.mul(ShortVector.fromArray(ss, xq, x0 + cols + 16))).add(s1);
                s2 = lo.mul(ShortVector.fromArray(ss, xq, x0 + 2 * cols))
                        .add(hi.mul(ShortVector.fromArray(ss, xq, x0 + 2 * cols + 16))).add(s2);
                s3 = lo.mul(ShortVector.fromArray(ss, xq, x0 + 3 * cols))
                        .add(hi.mul(ShortVector.fromArray(ss, xq, x0 + 3 * cols + 16))).add(s3);
            }
            float dw = Float.float16ToFloat(w.get(IntDot.I16, o));
            IntVector v0 = s0.reinterpretAsInts(), v1 = s1.reinterpretAsInts();
            IntVector v2 = s2.reinterpretAsInts(), v3 = s3.reinterpretAsInts();
            v0 = v0.add(v0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            v1 = v1.add(v1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            v2 = v2.add(v2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            v3 = v3.add(v3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            a0 = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + b]), a0);
            a1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + nb + b]), a1);
            a2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + 2 * nb + b]), a2);
            a3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, dw * xd[db + 3 * nb + b]), a3);
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
