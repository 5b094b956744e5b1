package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights times Q8_K activations. A block holds 256 values: {@code half d, dmin; u8 scales[12]; u8 qs[128]},
 * eight sub-blocks of 32 with 6-bit scale {@code sc_j} and min {@code m_j}; value {@code d·sc_j·q − dmin·m_j}.
 * Each 32 bytes of {@code qs} hold sub-block {@code 2c} in their low nibbles and {@code 2c+1} in their high ones.
 *
 * <p>{@code Σ value·x̂ = d_x·(d·Σ_j sc_j·Σ q·q_x − dmin·Σ_j m_j·Σ q_x)}. The inner sums are exact integer sums
 * (products {@code ≤ 15·127}, at most four per 16-bit lane); the first is scaled per sub-block in float, the
 * second comes from the activations' sums of 16 and is applied once per block.
 */
final class Q4_KKernels extends QuantKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;

    Q4_KKernels(Lanes lanes) {
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
            // Chunk C (sub-blocks 2C and 2C+1): written out four times rather than looped, because C2 does not unroll
            // a loop this large, and the loop's bookkeeping costs as much as its vector work (measured: 1.4x).
            {
                long q = o + QS + 0;
                int xc = xb + 0;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = v0.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc));
                ShortVector hi = v0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32));
                for (int l = p; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + l, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    lo = v.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc + l)).add(lo);
                    hi = v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32 + l)).add(hi);
                }
                acc0 = ((FloatVector) lo.reinterpretAsInts().add(lo.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scLo & 0xff)), acc0);
                acc1 = ((FloatVector) hi.reinterpretAsInts().add(hi.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scLo >>> 8 & 0xff)), acc1);
            }
            {
                long q = o + QS + 32;
                int xc = xb + 64;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = v0.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc));
                ShortVector hi = v0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32));
                for (int l = p; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + l, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    lo = v.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc + l)).add(lo);
                    hi = v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32 + l)).add(hi);
                }
                acc0 = ((FloatVector) lo.reinterpretAsInts().add(lo.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scLo >>> 16 & 0xff)), acc0);
                acc1 = ((FloatVector) hi.reinterpretAsInts().add(hi.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scLo >>> 24 & 0xff)), acc1);
            }
            {
                long q = o + QS + 64;
                int xc = xb + 128;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = v0.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc));
                ShortVector hi = v0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32));
                for (int l = p; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + l, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    lo = v.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc + l)).add(lo);
                    hi = v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32 + l)).add(hi);
                }
                acc0 = ((FloatVector) lo.reinterpretAsInts().add(lo.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scHi & 0xff)), acc0);
                acc1 = ((FloatVector) hi.reinterpretAsInts().add(hi.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scHi >>> 8 & 0xff)), acc1);
            }
            {
                long q = o + QS + 96;
                int xc = xb + 192;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                ShortVector lo = v0.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc));
                ShortVector hi = v0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32));
                for (int l = p; l < 32; l += p) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + l, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
                    lo = v.and((short) 0x0f).mul(ShortVector.fromArray(ss, xq, xc + l)).add(lo);
                    hi = v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(ss, xq, xc + 32 + l)).add(hi);
                }
                acc0 = ((FloatVector) lo.reinterpretAsInts().add(lo.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scHi >>> 16 & 0xff)), acc0);
                acc1 = ((FloatVector) hi.reinterpretAsInts().add(hi.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (scHi >>> 24 & 0xff)), acc1);
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
            for (int c = 0; c < 8; c++) {
                // Sub-block c: the low (even c) or high (odd c) nibbles of the 32 bytes of chunk c / 2.
                long q = o + QS + 32 * (c / 2);
                int shift = 4 * (c % 2);
                int xc = xb + 32 * c;
                ShortVector s0 = ShortVector.zero(ss), s1 = s0, s2 = s0, s3 = s0;
                for (int l = 0; l < 32; l += p) {
                    ShortVector v = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + l, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0))
                            .lanewise(VectorOperators.LSHR, shift).and((short) 0x0f);
                    s0 = v.mul(ShortVector.fromArray(ss, xq, xc + l)).add(s0);
                    s1 = v.mul(ShortVector.fromArray(ss, xq, xc + cols + l)).add(s1);
                    s2 = v.mul(ShortVector.fromArray(ss, xq, xc + 2 * cols + l)).add(s2);
                    s3 = v.mul(ShortVector.fromArray(ss, xq, xc + 3 * cols + l)).add(s3);
                }
                float sc = d * ((c < 4 ? scLo : scHi) >>> 8 * (c & 3) & 0xff);
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
