package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/**
 * Dequantization for the tiled product, where every weight is dequantized once per call: the most common types get
 * a loop per block (same arithmetic, in the same order, as the scalar references, so the floats are identical:
 * integer to float is exact, and a multiply then a subtract stay two roundings in vectors too), the others go through
 * {@code QuantFormats}. Q4_0, Q8_0, Q4_K and Q6_K decode a float vector of quants per step: as plain loops they took
 * 8% of a Q4_0 model's 512-token prefill (perf, Zen 5); the reference's per-element decoding once cost about 6 ns
 * a weight for Q4_K, a third of such a prefill.
 */
final class FastDequant {
    private FastDequant() {}

    /**
     * Dequantizes {@code n} values (whole blocks) of {@code type} at byte {@code at} into {@code dst[off ...]}, with
     * float vectors of {@code lanes}' width (at most 16 lanes: a Q4_0 vector must not span its block's two halves).
     */
    static void dequantize(Lanes lanes, GgmlType type, MemorySegment w, long at, float[] dst, int off, int n) {
        switch (type) {
            case Q8_0 -> q8_0(lanes, NativeSegments.of(w), at, dst, off, n);
            case Q4_0 -> q4_0(lanes, NativeSegments.of(w), at, dst, off, n);
            case Q4_K -> q4_K(lanes, NativeSegments.of(w), at, dst, off, n);
            case Q6_K -> q6_K(lanes, NativeSegments.of(w), at, dst, off, n);
            default -> QuantFormats.of(type).dequantize(w, at, dst, off, n);
        }
    }

    /** Byte loads of as many lanes as a float vector, or (128 bits, no 32-bit byte vectors) of two float vectors. */
    private static VectorSpecies<Byte> byteSpecies(Lanes lanes) {
        return lanes.floats().length() >= 8 ? lanes.quarterBytes() : lanes.halfBytes();
    }

    private static ByteVector bytes(VectorSpecies<Byte> bs, MemorySegment w, long at) {
        return ByteVector.fromMemorySegment(bs, w, at, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code dst[to + i] = q[i] · scale − min} for every lane {@code i} of {@code q} (bytes as signed integers). */
    private static void store(ByteVector q, VectorSpecies<Float> fs, float scale, float min, float[] dst, int to) {
        for (int part = 0, parts = q.length() / fs.length(); part < parts; part++) {
            ((FloatVector) q.convertShape(VectorOperators.B2F, fs, part)).mul(scale).sub(min)
                    .intoArray(dst, to + part * fs.length());
        }
    }

    private static void q8_0(Lanes lanes, MemorySegment w, long at, float[] dst, int off, int n) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Byte> bs = byteSpecies(lanes);
        int step = bs.length();
        for (int b = 0; b < n / 32; b++) {
            long o = at + 34L * b;
            float d = IntDot.half(w, o);
            int to = off + 32 * b;
            for (int j = 0; j < 32; j += step) {
                store(bytes(bs, w, o + 2 + j), fs, d, 0f, dst, to + j);
            }
        }
    }

    private static void q4_0(Lanes lanes, MemorySegment w, long at, float[] dst, int off, int n) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Byte> bs = byteSpecies(lanes);
        int step = bs.length();
        for (int b = 0; b < n / 32; b++) {
            long o = at + 18L * b;
            float d = IntDot.half(w, o);
            int to = off + 32 * b;
            for (int j = 0; j < 16; j += step) {
                ByteVector q = bytes(bs, w, o + 2 + j);
                store(q.and((byte) 0x0f).sub((byte) 8), fs, d, 0f, dst, to + j);
                store(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8), fs, d, 0f, dst, to + j + 16);
            }
        }
    }

    private static void q4_K(Lanes lanes, MemorySegment w, long at, float[] dst, int off, int n) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Byte> bs = byteSpecies(lanes);
        int step = bs.length();
        for (int b = 0; b < n / 256; b++) {
            long o = at + 144L * b;
            float d = IntDot.half(w, o);
            float dmin = IntDot.half(w, o + 2);
            int pk0 = w.get(IntDot.I32, o + 4), pk1 = w.get(IntDot.I32, o + 8), pk2 = w.get(IntDot.I32, o + 12);
            int scLo = pk0 & 0x3f3f3f3f;
            int scHi = (pk2 & 0x0f0f0f0f) | (pk0 >>> 6 & 0x03030303) << 4;
            int mLo = pk1 & 0x3f3f3f3f;
            int mHi = (pk2 >>> 4 & 0x0f0f0f0f) | (pk1 >>> 6 & 0x03030303) << 4;
            for (int j = 0; j < 8; j++) {
                float dl = d * ((j < 4 ? scLo : scHi) >>> 8 * (j & 3) & 0xff);
                float ml = dmin * ((j < 4 ? mLo : mHi) >>> 8 * (j & 3) & 0xff);
                long q = o + 16 + 32 * (j / 2);
                int shift = 4 * (j % 2);
                int to = off + 256 * b + 32 * j;
                for (int l = 0; l < 32; l += step) {
                    store(bytes(bs, w, q + l).lanewise(VectorOperators.LSHR, shift).and((byte) 0x0f), fs, dl, ml,
                            dst, to + l);
                }
            }
        }
    }

    private static void q6_K(Lanes lanes, MemorySegment w, long at, float[] dst, int off, int n) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Byte> bs = byteSpecies(lanes);
        int step = bs.length(); // at most 16: a step never straddles two 16-value scale groups
        for (int b = 0; b < n / 256; b++) {
            long o = at + 210L * b;
            float d = IntDot.half(w, o + 208);
            for (int h = 0; h < 2; h++) {
                for (int k = 0; k < 4; k++) {
                    long ql = o + 64 * h + 32 * (k % 2);
                    long qh = o + 128 + 32 * h;
                    int to = off + 256 * b + 128 * h + 32 * k;
                    for (int l = 0; l < 32; l += step) {
                        ByteVector low = bytes(bs, w, ql + l).lanewise(VectorOperators.LSHR, 4 * (k / 2))
                                .and((byte) 0x0f);
                        ByteVector high = bytes(bs, w, qh + l).lanewise(VectorOperators.LSHR, 2 * k)
                                .and((byte) 3).lanewise(VectorOperators.LSHL, 4);
                        int scale = w.get(ValueLayout.JAVA_BYTE, o + 192 + (128 * h + 32 * k + l) / 16);
                        store(low.or(high).sub((byte) 32), fs, d * scale, 0f, dst, to + l);
                    }
                }
            }
        }
    }
}
