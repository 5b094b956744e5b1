package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.pairSumNarrow;
import static org.ristretto.cpu.kernel.IntDot.toFloat;
import static org.ristretto.cpu.kernel.IntDot.unsignedBytes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    private static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

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

        /** Values {@code [l, l + p)} of sub-block {@code j} (of 16 values) of the block at byte {@code o}. */
        private ShortVector values(MemorySegment w, long o, int j, int l) {
            int h = j / 8;
            int k = j / 2 % 4;
            ShortVector v = unsignedBytes(lanes.pieceBytes(), lanes.pieceShorts(), w, o + QS + 32 * h + 16 * (j % 2) + l);
            return v.lanewise(VectorOperators.LSHR, 2 * k).and((short) 3);
        }

        /** {@code Σ_j (sc_j >> 4)·Σ q_x} over the sixteen sub-blocks. */
        private static int minTerm(MemorySegment w, long o, short[] bsums, int bs) {
            int s = 0;
            for (int j = 0; j < 16; j++) {
                s += (u8(w, o + j) >>> 4) * bsums[bs + j];
            }
            return s;
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xt) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
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
                float d = half(w, o + D) * dx;
                int xb = xt + BLOCK * b;
                for (int j = 0; j < 16; j++) {
                    ShortVector s = ShortVector.zero(ss);
                    for (int l = 0; l < 16; l += p) {
                        s = s.add(values(w, o, j, l).mul(ShortVector.fromArray(ss, xq, xb + 16 * j + l)));
                    }
                    acc = toFloat(pairSumNarrow(s)).fma(FloatVector.broadcast(fs, d * (u8(w, o + j) & 0x0f)), acc);
                }
                mins += half(w, o + DMIN) * dx * minTerm(w, o, bsums, xb / 16);
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

        /** The signed scale of sub-block {@code j} (ggml's Q3_K 6-bit packing, bias 32 removed). */
        private static int scale(MemorySegment w, long o, int j) {
            long at = o + SCALES;
            int low = j < 8 ? u8(w, at + j) & 0x0f : u8(w, at + j - 8) >>> 4;
            int high = u8(w, at + 8 + j % 4) >>> (2 * (j / 4)) & 3;
            return (low | high << 4) - 32;
        }

        /** Values {@code [l, l + p)} of sub-block {@code j} of the block at byte {@code o}, in −4..3. */
        private ShortVector values(MemorySegment w, long o, int j, int l) {
            VectorSpecies<Short> ss = lanes.pieceShorts();
            int h = j / 8;
            int k = j / 2 % 4;
            int at = 16 * (j % 2) + l;
            ShortVector q = unsignedBytes(lanes.pieceBytes(), ss, w, o + QS + 32 * h + at)
                    .lanewise(VectorOperators.LSHR, 2 * k).and((short) 3);
            ShortVector hbit = unsignedBytes(lanes.pieceBytes(), ss, w, o + at)
                    .lanewise(VectorOperators.LSHR, 4 * h + k).and((short) 1);
            // q − 4·(1 − hbit) = q − 4 + 4·hbit
            return q.add(hbit.lanewise(VectorOperators.LSHL, 2)).sub((short) 4);
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xt) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
            int p = ss.length();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xt / BLOCK;
            FloatVector acc = FloatVector.zero(fs);
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float d = half(w, o + D) * xd[db + b];
                int xb = xt + BLOCK * b;
                for (int j = 0; j < 16; j++) {
                    ShortVector s = ShortVector.zero(ss);
                    for (int l = 0; l < 16; l += p) {
                        s = s.add(values(w, o, j, l).mul(ShortVector.fromArray(ss, xq, xb + 16 * j + l)));
                    }
                    acc = toFloat(pairSumNarrow(s)).fma(FloatVector.broadcast(fs, d * scale(w, o, j)), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
