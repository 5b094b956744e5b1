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
 * Q5_0 ({@code half d; u32 qh; u8 qs[16]}, value {@code d·(q − 16)}) and Q5_1 ({@code half d, m; u32 qh; u8 qs[16]},
 * value {@code d·q + m}) weights times Q8_0 activations. The 5-bit {@code q} of element {@code j} is the nibble as in
 * Q4_0 plus bit {@code j} of {@code qh} as its fifth bit.
 *
 * <p>The fifth bits are spread over the lanes by broadcasting the relevant bits of {@code qh}, masking each lane's
 * own bit and comparing with zero. Products are at most {@code 31·127}, four per 16-bit lane at most, pairs of lanes
 * at most 31496, so one narrow pairwise widening per block suffices, as for Q4_0. Q5_1's offset {@code m} goes
 * through the activations' per-block {@code d_x·Σq_x}, as for Q4_1.
 */
final class Q5Kernels extends QuantKernel {
    private static final int BLOCK = 32;
    /** Lane {@code j} holds bit {@code j}. */
    private static final short[] LANE_BITS = new short[16];

    static {
        for (int j = 0; j < 16; j++) {
            LANE_BITS[j] = (short) (1 << j);
        }
    }

    private final int bytes;
    private final int qhAt;
    private final int qsAt;
    private final short bias;
    private final boolean hasMin;

    private Q5Kernels(Lanes lanes, boolean hasMin) {
        super(lanes);
        this.hasMin = hasMin;
        this.bytes = hasMin ? 24 : 22;
        this.qhAt = hasMin ? 4 : 2;
        this.qsAt = qhAt + 4;
        this.bias = (short) (hasMin ? 0 : 16);
    }

    /** Q5_0: {@code d·(q − 16)}. */
    static Q5Kernels q5_0(Lanes lanes) {
        return new Q5Kernels(lanes, false);
    }

    /** Q5_1: {@code d·q + m}. */
    static Q5Kernels q5_1(Lanes lanes) {
        return new Q5Kernels(lanes, true);
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
        ShortVector laneBits = ShortVector.fromArray(ss, LANE_BITS, 0);
        short[] xq = x.q;
        float[] xd = x.d;
        float[] xs = x.blockSum;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector acc = FloatVector.zero(fs);
        float offsets = 0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) bytes * b;
            int xb = xo + BLOCK * b;
            int qh = w.get(IntDot.I32, o + qhAt);
            ShortVector s = ShortVector.zero(ss);
            for (int k = 0; k < 16; k += p) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + qsAt + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = q.and((short) 0x0f).lanewise(VectorOperators.OR, (short) 16,
                        ShortVector.broadcast(ss, (short) (qh >>> k)).and(laneBits).compare(VectorOperators.NE, 0));
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16,
                        ShortVector.broadcast(ss, (short) (qh >>> (16 + k))).and(laneBits)
                                .compare(VectorOperators.NE, 0));
                s = lo.sub(bias).mul(ShortVector.fromArray(ss, xq, xb + k))
                        .add(hi.sub(bias).mul(ShortVector.fromArray(ss, xq, xb + 16 + k))).add(s);
            }
            IntVector v = s.reinterpretAsInts();
            v = v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            acc = ((FloatVector) v.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, o)) * xd[db + b]), acc);
            if (hasMin) {
                offsets += Float.float16ToFloat(w.get(IntDot.I16, o + 2)) * xs[db + b];
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + offsets;
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        w = NativeSegments.of(w);
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        VectorSpecies<Byte> bs = lanes.pieceBytes();
        int p = ss.length();
        ShortVector laneBits = ShortVector.fromArray(ss, LANE_BITS, 0);
        short[] xq = x.q;
        float[] xd = x.d;
        float[] xs = x.blockSum;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) bytes * b;
            int xb = xo + BLOCK * b;
            int qh = w.get(IntDot.I32, o + qhAt);
            ShortVector s0 = ShortVector.zero(ss), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 16; k += p) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + qsAt + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = q.and((short) 0x0f).lanewise(VectorOperators.OR, (short) 16,
                        ShortVector.broadcast(ss, (short) (qh >>> k)).and(laneBits).compare(VectorOperators.NE, 0))
                        .sub(bias);
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16,
                        ShortVector.broadcast(ss, (short) (qh >>> (16 + k))).and(laneBits)
                                .compare(VectorOperators.NE, 0)).sub(bias);
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
            if (hasMin) {
                float mw = Float.float16ToFloat(w.get(IntDot.I16, o + 2));
                m0 += mw * xs[db + b];
                m1 += mw * xs[db + nb + b];
                m2 += mw * xs[db + 2 * nb + b];
                m3 += mw * xs[db + 3 * nb + b];
            }
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD) + m0;
        res[1] = a1.reduceLanes(VectorOperators.ADD) + m1;
        res[2] = a2.reduceLanes(VectorOperators.ADD) + m2;
        res[3] = a3.reduceLanes(VectorOperators.ADD) + m3;
    }
}
