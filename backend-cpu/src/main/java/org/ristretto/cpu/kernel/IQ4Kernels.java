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
 * IQ4_NL ({@code half d; u8 qs[16]} per 32 values, times Q8_0 activations) and IQ4_XS (256 values in eight
 * sub-blocks of 32 with 6-bit scales, times Q8_K activations) weights. Both store 4-bit codes into ggml's table of
 * 16 non-linear levels, laid out like Q4_0's nibbles.
 *
 * <p>The codes are looked up with a 16-entry byte shuffle (one {@code pshufb} on x86), then multiplied like Q8_0:
 * levels reach ±127, so at most two products share a 16-bit lane before widening.
 */
final class IQ4Kernels {
    /** ggml's {@code kvalues_iq4nl}: the value each 4-bit code stands for (also {@link PackedIQ4}'s). */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;

    private IQ4Kernels() {}

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
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
            ByteVector table = table();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc = FloatVector.zero(fs);
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                int xb = xo + BLOCK * b;
                ByteVector q = ByteVector.fromMemorySegment(B128, w, o + 2, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0f).selectFrom(table);
                ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0f).selectFrom(table);
                // At most two products (levels up to 127) share a 16-bit lane before the exact pairwise widening.
                ShortVector p0 = ((ShortVector) lo
                        .convertShape(VectorOperators.B2S, ss, 0)).mul(ShortVector.fromArray(ss, xq, xb))
                        .add(((ShortVector) hi.convertShape(VectorOperators.B2S, ss, 0))
                                .mul(ShortVector.fromArray(ss, xq, xb + 16)));
                IntVector v = p0.reinterpretAsInts();
                IntVector s = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16));
                if (ss.length() == 8) {
                    ShortVector p1 = ((ShortVector) lo.convertShape(VectorOperators.B2S, ss, 1))
                            .mul(ShortVector.fromArray(ss, xq, xb + 8))
                            .add(((ShortVector) hi.convertShape(VectorOperators.B2S, ss, 1))
                                    .mul(ShortVector.fromArray(ss, xq, xb + 24)));
                    IntVector v1 = p1.reinterpretAsInts();
                    s = v1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(v1.lanewise(VectorOperators.ASHR, 16)).add(s);
                }
                acc = ((FloatVector) s.convertShape(VectorOperators.I2F, fs, 0))
                        .fma(FloatVector.broadcast(fs, Float.float16ToFloat(w.get(IntDot.I16, o)) * xd[db + b]), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
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
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.pieceFloats();
            VectorSpecies<Short> ss = lanes.pieceShorts();
            ByteVector table = table();
            short[] xq = x.q;
            float[] xd = x.d;
            int nb = cols / BLOCK;
            int db = xo / BLOCK;
            FloatVector acc = FloatVector.zero(fs);
            for (int b = 0; b < nb; b++) {
                long o = row + (long) BYTES * b;
                float d = Float.float16ToFloat(w.get(IntDot.I16, o)) * xd[db + b];
                int scalesH = w.get(IntDot.I16, o + 2);
                for (int j = 0; j < 8; j++) {
                    int ls = (w.get(ValueLayout.JAVA_BYTE, o + 4 + j / 2) >>> (4 * (j % 2)) & 0x0f)
                            | (scalesH >>> (2 * j) & 3) << 4;
                    int xb = xo + BLOCK * b + 32 * j;
                    ByteVector q = ByteVector.fromMemorySegment(B128, w, o + 8 + 16 * j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0f).selectFrom(table);
                    ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0f).selectFrom(table);
                    // At most two products (levels up to 127) share a 16-bit lane before the exact pairwise widening.
                    ShortVector p0 = ((ShortVector) lo
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(ShortVector.fromArray(ss, xq, xb))
                            .add(((ShortVector) hi.convertShape(VectorOperators.B2S, ss, 0))
                                    .mul(ShortVector.fromArray(ss, xq, xb + 16)));
                    IntVector v = p0.reinterpretAsInts();
                    IntVector s = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(v.lanewise(VectorOperators.ASHR, 16));
                    if (ss.length() == 8) {
                        ShortVector p1 = ((ShortVector) lo.convertShape(VectorOperators.B2S, ss, 1))
                                .mul(ShortVector.fromArray(ss, xq, xb + 8))
                                .add(((ShortVector) hi.convertShape(VectorOperators.B2S, ss, 1))
                                        .mul(ShortVector.fromArray(ss, xq, xb + 24)));
                        IntVector v1 = p1.reinterpretAsInts();
                        s = v1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                                .add(v1.lanewise(VectorOperators.ASHR, 16)).add(s);
                    }
                    acc = ((FloatVector) s.convertShape(VectorOperators.I2F, fs, 0))
                            .fma(FloatVector.broadcast(fs, d * (ls - 32)), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
            for (int t = 0; t < TILE; t++) {
                res[t] = dot1(w, row, cols, x, xo + t * cols);
            }
        }
    }
}
