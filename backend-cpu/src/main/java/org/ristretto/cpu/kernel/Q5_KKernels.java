package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K weights times Q8_K activations: Q4_K's layout ({@code half d, dmin; u8 scales[12]}) plus {@code u8 qh[32]}
 * before {@code qs[128]}; the fifth bit of value {@code l} of sub-block {@code j} is bit {@code j} of
 * {@code qh[l]}. Products are at most {@code 31·127}, four per 16-bit lane at most.
 */
final class Q5_KKernels extends QuantKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 176;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    Q5_KKernels(Lanes lanes) {
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
        short[] s32 = x.sums32;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector acc0 = FloatVector.zero(fs);
        FloatVector acc1 = acc0;
        float mins = 0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            // The packed 6-bit scales and mins (12 bytes), unpacked four at a time into one byte each: scales of
            // sub-blocks 0-3 and 4-7, then mins of 0-3 and 4-7 (ggml's get_scale_min_k4, word-wise).
            int pk0 = w.get(IntDot.I32, o + SCALES), pk1 = w.get(IntDot.I32, o + SCALES + 4);
            int pk2 = w.get(IntDot.I32, o + SCALES + 8);
            int scLo = pk0 & 0x3f3f3f3f;
            int scHi = (pk2 & 0x0f0f0f0f) | (pk0 >>> 6 & 0x03030303) << 4;
            int mLo = pk1 & 0x3f3f3f3f;
            int mHi = (pk2 >>> 4 & 0x0f0f0f0f) | (pk1 >>> 6 & 0x03030303) << 4;
            float dx = xd[db + b];
            float d = Float.float16ToFloat(w.get(IntDot.I16, o)) * dx;
            int xb = xo + BLOCK * b;
            // Sub-block pairs in a loop, not written out as in the other K-quant kernels: written out (1882 bytes of
            // bytecode) C1's profiling tier gave up on it ("out of virtual registers in linear scan"), C2 then
            // compiled it without a profile, and in 2 of 4 cold --no-repack runs of a 1B Q5_K_M model it ran in the
            // Vector API's Java fallbacks (24 tokens took over 60 s instead of 2.1-2.5).
            for (int j = 0; j < 4; j++) {
                // Sub-blocks 2j and 2j+1: low and high nibbles of the same bytes, fifth bits 2j and 2j+1 of qh.
                int sc = (j < 2 ? scLo : scHi) >>> 16 * (j & 1);
                ShortVector s0 = ShortVector.zero(ss);
                ShortVector s1 = s0;
                for (int l = 0; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QS + 32 * j + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QH + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector lo = v.and((short) 0x0f).or(h.lanewise(VectorOperators.LSHR, 2 * j).and((short) 1)
                            .lanewise(VectorOperators.LSHL, 4));
                    ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2 * j + 1)
                            .and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    s0 = lo.mul(ShortVector.fromArray(ss, xq, xb + 64 * j + l)).add(s0);
                    s1 = hi.mul(ShortVector.fromArray(ss, xq, xb + 64 * j + 32 + l)).add(s1);
                }
                acc0 = ((FloatVector) s0.reinterpretAsInts().add(s0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (sc & 0xff)), acc0);
                acc1 = ((FloatVector) s1.reinterpretAsInts().add(s1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (sc >>> 8 & 0xff)), acc1);
            }
            int a = xb / 32;
            int mt = (mLo & 0xff) * s32[a] + (mLo >>> 8 & 0xff) * s32[a + 1] + (mLo >>> 16 & 0xff) * s32[a + 2]
                    + (mLo >>> 24) * s32[a + 3] + (mHi & 0xff) * s32[a + 4] + (mHi >>> 8 & 0xff) * s32[a + 5]
                    + (mHi >>> 16 & 0xff) * s32[a + 6] + (mHi >>> 24) * s32[a + 7];
            mins += Float.float16ToFloat(w.get(IntDot.I16, o + 2)) * dx * mt;
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - mins;
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
        short[] s32 = x.sums32;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            // The packed 6-bit scales and mins (12 bytes), unpacked four at a time into one byte each: scales of
            // sub-blocks 0-3 and 4-7, then mins of 0-3 and 4-7 (ggml's get_scale_min_k4, word-wise).
            int pk0 = w.get(IntDot.I32, o + SCALES), pk1 = w.get(IntDot.I32, o + SCALES + 4);
            int pk2 = w.get(IntDot.I32, o + SCALES + 8);
            int scLo = pk0 & 0x3f3f3f3f;
            int scHi = (pk2 & 0x0f0f0f0f) | (pk0 >>> 6 & 0x03030303) << 4;
            int mLo = pk1 & 0x3f3f3f3f;
            int mHi = (pk2 >>> 4 & 0x0f0f0f0f) | (pk1 >>> 6 & 0x03030303) << 4;
            float d = Float.float16ToFloat(w.get(IntDot.I16, o));
            float dmin = Float.float16ToFloat(w.get(IntDot.I16, o + 2));
            float dx0 = xd[db + b], dx1 = xd[db + nb + b], dx2 = xd[db + 2 * nb + b], dx3 = xd[db + 3 * nb + b];
            int xb = xo + BLOCK * b;
            for (int j = 0; j < 8; j++) {
                int xj = xb + 32 * j;
                ShortVector s0 = ShortVector.zero(ss), s1 = s0, s2 = s0, s3 = s0;
                for (int l = 0; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QS + 32 * (j / 2) + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(bs, w, o + QH + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    v = (j % 2 == 0 ? v.and((short) 0x0f) : v.lanewise(VectorOperators.LSHR, 4))
                            .or(h.lanewise(VectorOperators.LSHR, j).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    s0 = v.mul(ShortVector.fromArray(ss, xq, xj + l)).add(s0);
                    s1 = v.mul(ShortVector.fromArray(ss, xq, xj + cols + l)).add(s1);
                    s2 = v.mul(ShortVector.fromArray(ss, xq, xj + 2 * cols + l)).add(s2);
                    s3 = v.mul(ShortVector.fromArray(ss, xq, xj + 3 * cols + l)).add(s3);
                }
                float sc = d * ((j < 4 ? scLo : scHi) >>> 8 * (j & 3) & 0xff);
                a0 = ((FloatVector) s0.reinterpretAsInts().add(s0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, sc * dx0), a0);
                a1 = ((FloatVector) s1.reinterpretAsInts().add(s1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, sc * dx1), a1);
                a2 = ((FloatVector) s2.reinterpretAsInts().add(s2.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, sc * dx2), a2);
                a3 = ((FloatVector) s3.reinterpretAsInts().add(s3.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, sc * dx3), a3);
            }
            int a = xb / 32;
            int st = cols / 32;
            int mt0 = (mLo & 0xff) * s32[a] + (mLo >>> 8 & 0xff) * s32[a + 1] + (mLo >>> 16 & 0xff) * s32[a + 2]
                    + (mLo >>> 24) * s32[a + 3] + (mHi & 0xff) * s32[a + 4] + (mHi >>> 8 & 0xff) * s32[a + 5]
                    + (mHi >>> 16 & 0xff) * s32[a + 6] + (mHi >>> 24) * s32[a + 7];
            int mt1 = (mLo & 0xff) * s32[a + st] + (mLo >>> 8 & 0xff) * s32[a + st + 1] + (mLo >>> 16 & 0xff) * s32[a + st + 2]
                    + (mLo >>> 24) * s32[a + st + 3] + (mHi & 0xff) * s32[a + st + 4] + (mHi >>> 8 & 0xff) * s32[a + st + 5]
                    + (mHi >>> 16 & 0xff) * s32[a + st + 6] + (mHi >>> 24) * s32[a + st + 7];
            int mt2 = (mLo & 0xff) * s32[a + 2 * st] + (mLo >>> 8 & 0xff) * s32[a + 2 * st + 1] + (mLo >>> 16 & 0xff) * s32[a + 2 * st + 2]
                    + (mLo >>> 24) * s32[a + 2 * st + 3] + (mHi & 0xff) * s32[a + 2 * st + 4] + (mHi >>> 8 & 0xff) * s32[a + 2 * st + 5]
                    + (mHi >>> 16 & 0xff) * s32[a + 2 * st + 6] + (mHi >>> 24) * s32[a + 2 * st + 7];
            int mt3 = (mLo & 0xff) * s32[a + 3 * st] + (mLo >>> 8 & 0xff) * s32[a + 3 * st + 1] + (mLo >>> 16 & 0xff) * s32[a + 3 * st + 2]
                    + (mLo >>> 24) * s32[a + 3 * st + 3] + (mHi & 0xff) * s32[a + 3 * st + 4] + (mHi >>> 8 & 0xff) * s32[a + 3 * st + 5]
                    + (mHi >>> 16 & 0xff) * s32[a + 3 * st + 6] + (mHi >>> 24) * s32[a + 3 * st + 7];
            m0 += dmin * dx0 * mt0;
            m1 += dmin * dx1 * mt1;
            m2 += dmin * dx2 * mt2;
            m3 += dmin * dx3 * mt3;
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD) - m0;
        res[1] = a1.reduceLanes(VectorOperators.ADD) - m1;
        res[2] = a2.reduceLanes(VectorOperators.ADD) - m2;
        res[3] = a3.reduceLanes(VectorOperators.ADD) - m3;
    }
}
