package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.pairSum;
import static org.ristretto.cpu.kernel.IntDot.toFloat;

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
 * IQ4_NL ({@code half d; u8 qs[16]} per 32 values, times Q8_0 activations) and IQ4_XS (256 values in eight
 * sub-blocks of 32 with 6-bit scales, times Q8_K activations) weights. Both store 4-bit codes into ggml's table of
 * 16 non-linear levels, laid out like Q4_0's nibbles.
 *
 * <p>The codes are looked up with a 16-entry byte shuffle (one {@code pshufb} on x86), then multiplied like Q8_0:
 * levels reach ±127, so at most two products share a 16-bit lane before widening.
 */
final class IQ4Kernels {
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;

    private IQ4Kernels() {}

    /**
     * The products of the 32 codes in the 16 bytes at {@code qsAt} with activation quants from {@code xb}, in int
     * lanes of {@code lanes.pieceInts()}.
     */
    private static IntVector products(Lanes lanes, ByteVector table, MemorySegment w, long qsAt, short[] xq,
            int xb) {
        ByteVector q = ByteVector.fromMemorySegment(B128, w, qsAt, ByteOrder.LITTLE_ENDIAN);
        ByteVector lo = q.and((byte) 0x0f).selectFrom(table);
        ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                .and((byte) 0x0f).selectFrom(table);
        VectorSpecies<Short> ss = lanes.pieceShorts();
        if (ss.length() == 16) {
            ShortVector l = (ShortVector) lo.convertShape(VectorOperators.B2S, ss, 0);
            ShortVector h = (ShortVector) hi.convertShape(VectorOperators.B2S, ss, 0);
            return pairSum(l.mul(ShortVector.fromArray(ss, xq, xb)).add(h.mul(ShortVector.fromArray(ss, xq, xb + 16))));
        }
        ShortVector l0 = (ShortVector) lo.convertShape(VectorOperators.B2S, ss, 0);
        ShortVector l1 = (ShortVector) lo.convertShape(VectorOperators.B2S, ss, 1);
        ShortVector h0 = (ShortVector) hi.convertShape(VectorOperators.B2S, ss, 0);
        ShortVector h1 = (ShortVector) hi.convertShape(VectorOperators.B2S, ss, 1);
        return pairSum(l0.mul(ShortVector.fromArray(ss, xq, xb)).add(l1.mul(ShortVector.fromArray(ss, xq, xb + 8))))
                .add(pairSum(h0.mul(ShortVector.fromArray(ss, xq, xb + 16))
                        .add(h1.mul(ShortVector.fromArray(ss, xq, xb + 24)))));
    }

    private static ByteVector table() {
        return ByteVector.fromArray(B128, LEVELS, 0);
    }

    /** IQ4_NL: blocks of 32 like Q4_0, codes into the level table. */
    static final class IQ4_NL extends QuantKernel {
        private static final int BLOCK = 32;
        private static final int BYTES = 18;

        IQ4_NL(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_0;
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            ByteVector table = table();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc0 = FloatVector.zero(fs);
            FloatVector acc1 = acc0;
            int b = 0;
            for (; b + 1 < nb; b += 2) {
                long o = row + (long) BYTES * b;
                IntVector s0 = products(lanes, table, w, o + 2, xq, xo + BLOCK * b);
                IntVector s1 = products(lanes, table, w, o + BYTES + 2, xq, xo + BLOCK * b + BLOCK);
                acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
                acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, half(w, o + BYTES) * xd[db + b + 1]), acc1);
            }
            if (b < nb) {
                long o = row + (long) BYTES * b;
                acc0 = toFloat(products(lanes, table, w, o + 2, xq, xo + BLOCK * b))
                        .fma(FloatVector.broadcast(fs, half(w, o) * xd[db + b]), acc0);
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }
    }

    /** IQ4_XS: super-blocks of 256 with a 6-bit scale (biased by 32) per 32 values. */
    static final class IQ4_XS extends QuantKernel {
        private static final ValueLayout.OfShort I16 =
                ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final int BLOCK = 256;
        private static final int BYTES = 136;

        IQ4_XS(Lanes lanes) {
            super(lanes);
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.Q8_K;
        }

        @Override
        float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
            VectorSpecies<Float> fs = lanes.pieceFloats();
            ByteVector table = table();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc0 = FloatVector.zero(fs);
            FloatVector acc1 = acc0;
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float d = half(w, o) * xd[db + b];
                int scalesH = w.get(I16, o + 2);
                int xb = xo + BLOCK * b;
                for (int j = 0; j < 8; j += 2) {
                    int lows = w.get(ValueLayout.JAVA_BYTE, o + 4 + j / 2);
                    int ls0 = (lows & 0x0f) | (scalesH >>> (2 * j) & 3) << 4;
                    int ls1 = (lows >>> 4 & 0x0f) | (scalesH >>> (2 * j + 2) & 3) << 4;
                    IntVector s0 = products(lanes, table, w, o + 8 + 16 * j, xq, xb + 32 * j);
                    IntVector s1 = products(lanes, table, w, o + 8 + 16 * j + 16, xq, xb + 32 * j + 32);
                    acc0 = toFloat(s0).fma(FloatVector.broadcast(fs, d * (ls0 - 32)), acc0);
                    acc1 = toFloat(s1).fma(FloatVector.broadcast(fs, d * (ls1 - 32)), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }
    }
}
