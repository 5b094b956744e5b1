package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights times Q8_K activations. A block holds 256 values: {@code u8 ql[128]; u8 qh[64]; i8 scales[16];
 * half d}, sixteen sub-blocks of 16 with an 8-bit signed scale; value {@code d·sc_j·(q − 32)} with {@code q} a 6-bit
 * number whose low 4 bits come from {@code ql} and top 2 from {@code qh}.
 *
 * <p>Each half of 128 values uses 64 bytes of {@code ql} and 32 of {@code qh}: value {@code 32k + l} of the half
 * (k = 0..3, l = 0..31) takes the low ({@code k < 2}) or high nibble of {@code ql[l + 32·(k % 2)]} and bits
 * {@code 2k, 2k+1} of {@code qh[l]}. A piece of {@code ql}, {@code ql + 32} and {@code qh} bytes is loaded once and
 * yields the four quarters. Products are at most {@code 32·127}; each piece lies in one sub-block and is widened and
 * scaled on its own.
 */
final class Q6_KKernels extends QuantKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KKernels(Lanes lanes) {
        super(lanes);
    }

    @Override
    public ActivationFormat activation() {
        return ActivationFormat.Q8_K;
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
        // Four accumulators, one per quarter: a single one would chain sixteen dependent FMAs per block.
        FloatVector acc = FloatVector.zero(fs), acc1 = acc, acc2 = acc, acc3 = acc;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float d = Float.float16ToFloat(w.get(IntDot.I16, o + D)) * xd[db + b];
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += p) {
                    long ql = o + 64 * h + l;
                    ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, ql, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(bs, w, ql + 32, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QH + 32 * h + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    int xb = xo + BLOCK * b + 128 * h + l;
                    int j = 8 * h + l / 16;
                    ShortVector q0 = l0.and((short) 0x0f).or(hb.lanewise(VectorOperators.LSHL, 4).and((short) 0x30));
                    ShortVector q1 = l1.and((short) 0x0f).or(hb.lanewise(VectorOperators.LSHL, 2).and((short) 0x30));
                    ShortVector q2 = l0.lanewise(VectorOperators.LSHR, 4).or(hb.and((short) 0x30));
                    ShortVector q3 = l1.lanewise(VectorOperators.LSHR, 4)
                            .or(hb.lanewise(VectorOperators.LSHR, 2).and((short) 0x30));
                    ShortVector p0 = q0.sub((short) 32).mul(ShortVector.fromArray(ss, xq, xb));
                    ShortVector p1 = q1.sub((short) 32).mul(ShortVector.fromArray(ss, xq, xb + 32));
                    ShortVector p2 = q2.sub((short) 32).mul(ShortVector.fromArray(ss, xq, xb + 64));
                    ShortVector p3 = q3.sub((short) 32).mul(ShortVector.fromArray(ss, xq, xb + 96));
                    IntVector v0 = p0.reinterpretAsInts(), v1 = p1.reinterpretAsInts();
                    IntVector v2 = p2.reinterpretAsInts(), v3 = p3.reinterpretAsInts();
                    v0 = v0.add(v0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v1 = v1.add(v1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v2 = v2.add(v2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v3 = v3.add(v3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    acc = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, d * w.get(ValueLayout.JAVA_BYTE, o + SCALES + j)), acc);
                    acc1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, d * w.get(ValueLayout.JAVA_BYTE, o + SCALES + j + 2)), acc1);
                    acc2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, d * w.get(ValueLayout.JAVA_BYTE, o + SCALES + j + 4)), acc2);
                    acc3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, d * w.get(ValueLayout.JAVA_BYTE, o + SCALES + j + 6)), acc3);
                }
            }
        }
        return acc.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
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
            float d = Float.float16ToFloat(w.get(IntDot.I16, o + D));
            float d0 = d * xd[db + b], d1 = d * xd[db + nb + b];
            float d2 = d * xd[db + 2 * nb + b], d3 = d * xd[db + 3 * nb + b];
            for (int j = 0; j < 16; j++) {
                // Sub-block j: half j / 8, quarter k = (j / 2) % 4, values from 16·(j % 2) of that quarter.
                int h = j / 8;
                int k = j / 2 % 4;
                float sc = w.get(ValueLayout.JAVA_BYTE, o + SCALES + j);
                for (int l = 16 * (j % 2); l < 16 * (j % 2) + 16; l += p) {
                    ShortVector lq = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + 64 * h + 32 * (k % 2) + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QH + 32 * h + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    lq = k < 2 ? lq.and((short) 0x0f) : lq.lanewise(VectorOperators.LSHR, 4);
                    hb = k < 3 ? hb.lanewise(VectorOperators.LSHL, 4 - 2 * k) : hb.lanewise(VectorOperators.LSHR, 2);
                    ShortVector v = lq.or(hb.and((short) 0x30)).sub((short) 32);
                    int x0 = xo + BLOCK * b + 16 * j + l - 16 * (j % 2);
                    ShortVector p0 = v.mul(ShortVector.fromArray(ss, xq, x0));
                    ShortVector p1 = v.mul(ShortVector.fromArray(ss, xq, x0 + cols));
                    ShortVector p2 = v.mul(ShortVector.fromArray(ss, xq, x0 + 2 * cols));
                    ShortVector p3 = v.mul(ShortVector.fromArray(ss, xq, x0 + 3 * cols));
                    IntVector v0 = p0.reinterpretAsInts(), v1 = p1.reinterpretAsInts();
                    IntVector v2 = p2.reinterpretAsInts(), v3 = p3.reinterpretAsInts();
                    v0 = v0.add(v0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v1 = v1.add(v1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v2 = v2.add(v2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    v3 = v3.add(v3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    a0 = ((FloatVector) v0.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, sc * d0), a0);
                    a1 = ((FloatVector) v1.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, sc * d1), a1);
                    a2 = ((FloatVector) v2.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, sc * d2), a2);
                    a3 = ((FloatVector) v3.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, sc * d3), a3);
                }
            }
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
