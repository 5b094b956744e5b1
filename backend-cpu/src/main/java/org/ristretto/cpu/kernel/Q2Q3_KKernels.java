package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 2- and 3-bit K-quants times Q8_K activations. Both store 2-bit fields four to a byte: value
 * {@code 128h + 32k + l} (half {@code h}, quarter {@code k}, {@code l < 32}) is bits {@code 2k, 2k+1} of
 * {@code qs[32h + l]}; both have sixteen sub-blocks of 16 values.
 * <ul>
 *   <li>Q2_K ({@code u8 scales[16]; u8 qs[64]; half d, dmin}): value {@code d·(sc_j & 15)·q − dmin·(sc_j >> 4)}.
 *   <li>Q3_K ({@code u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d}): value {@code d·s_j·(q − 4·(1 − hbit))} with
 *   {@code s_j} a 6-bit scale biased by 32 and {@code hbit} bit {@code 4h + k} of {@code hmask[l]}.
 * </ul>
 * Products are at most {@code 4·127}, so many share a 16-bit lane safely.
 */
final class Q2Q3_KKernels {
    private static final int BLOCK = 256;

    private Q2Q3_KKernels() {}

    /** Q2_K. */
    static final class Q2_K extends QuantKernel {
        private static final int BYTES = 84;
        private static final int QS = 16;
        private static final int D = 80;
        private static final int DMIN = 82;

        Q2_K(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_K;
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xt) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
            VectorSpecies<Byte> bs = lanes.pieceBytes();
            int p = ss.length();
            short[] xq = x.q;
            float[] xd = x.d;
            short[] bsums = x.bsums;
            int nb = cols / BLOCK;
            int db = xt / BLOCK;
            FloatVector acc = FloatVector.zero(fs);
            float mins = 0;
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float dx = xd[db + b];
                float d = Float.float16ToFloat(w.get(IntDot.I16, o + D)) * dx;
                int xb = xt + BLOCK * b;
                for (int j = 0; j < 16; j++) {
                    ShortVector s = ShortVector.zero(ss);
                    for (int l = 0; l < 16; l += p) {
                        // Value 16j + l: bits 2k, 2k+1 of qs[32h + 16(j % 2) + l], h = j / 8, k = (j / 2) % 4.
                        ShortVector v = ((ShortVector) ByteVector.fromMemorySegment(bs, w,
                                o + QS + 32 * (j / 8) + 16 * (j % 2) + l, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0))
                                .lanewise(VectorOperators.LSHR, 2 * (j / 2 % 4)).and((short) 3);
                        s = v.mul(ShortVector.fromArray(ss, xq, xb + 16 * j + l)).add(s);
                    }
                    acc = ((FloatVector) s.reinterpretAsInts().add(s.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * (w.get(ValueLayout.JAVA_BYTE, o + j) & 0x0f)), acc);
                }
                int mt = 0;
                for (int j = 0; j < 16; j++) {
                    mt += (w.get(ValueLayout.JAVA_BYTE, o + j) >> 4 & 0x0f) * bsums[xb / 16 + j];
                }
                mins += Float.float16ToFloat(w.get(IntDot.I16, o + DMIN)) * dx * mt;
            }
            return acc.reduceLanes(VectorOperators.ADD) - mins;
        }
    }

    /** Q3_K. */
    static final class Q3_K extends QuantKernel {
        private static final int BYTES = 110;
        private static final int QS = 32;
        private static final int SCALES = 96;
        private static final int D = 108;

        Q3_K(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_K;
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xt) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
            VectorSpecies<Byte> bs = lanes.pieceBytes();
            int p = ss.length();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xt / BLOCK;
            FloatVector acc = FloatVector.zero(fs);
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float d = Float.float16ToFloat(w.get(IntDot.I16, o + D)) * xd[db + b];
                int xb = xt + BLOCK * b;
                for (int j = 0; j < 16; j++) {
                    ShortVector s = ShortVector.zero(ss);
                    for (int l = 0; l < 16; l += p) {
                        // Value 16j + l: q as in Q2_K, minus 4 unless bit 4h + k of hmask[16(j % 2) + l] is set.
                        int at = 16 * (j % 2) + l;
                        int k = j / 2 % 4;
                        ShortVector q = ((ShortVector) ByteVector.fromMemorySegment(bs, w, o + QS + 32 * (j / 8) + at,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0))
                                .lanewise(VectorOperators.LSHR, 2 * k).and((short) 3);
                        ShortVector hbit = ((ShortVector) ByteVector.fromMemorySegment(bs, w, o + at,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0))
                                .lanewise(VectorOperators.LSHR, 4 * (j / 8) + k).and((short) 1);
                        ShortVector v = q.add(hbit.lanewise(VectorOperators.LSHL, 2)).sub((short) 4);
                        s = v.mul(ShortVector.fromArray(ss, xq, xb + 16 * j + l)).add(s);
                    }
                    acc = ((FloatVector) s.reinterpretAsInts().add(s.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, d * ((((j < 8 ? w.get(ValueLayout.JAVA_BYTE, o + SCALES + j)
                                : w.get(ValueLayout.JAVA_BYTE, o + SCALES + j - 8) >> 4) & 0x0f)
                                | (w.get(ValueLayout.JAVA_BYTE, o + SCALES + 8 + j % 4) >> 2 * (j / 4) & 3) << 4)
                                - 32)), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
