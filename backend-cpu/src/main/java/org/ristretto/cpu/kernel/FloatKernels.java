package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.Halves.INF_NAN;
import static org.ristretto.cpu.kernel.Halves.MAGNITUDE;
import static org.ristretto.cpu.kernel.Halves.REBIAS;
import static org.ristretto.cpu.kernel.Halves.SUBNORMAL_LIMIT;
import static org.ristretto.cpu.kernel.Halves.SUBNORMAL_UNIT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32, F16 and BF16 weights: multiplied in float with FMA against the float activations, no quantization. Rows are
 * read straight from the mapping; each weight vector is loaded (and widened) once for the whole tile of tokens.
 */
final class FloatKernels {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatKernels() {}

    /** F32 weights. */
    static final class F32 implements RowKernel {
        private final Lanes lanes;

        F32(Lanes lanes) {
            this.lanes = lanes;
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.F32;
        }

        @Override
        public void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.floats();
            float[] xs = x.x;
            int x0 = x.xOffset + t0 * cols;
            int vec = fs.loopBound(cols);
            if (nT == RowKernel.TILE) {
                FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < vec; i += fs.length()) {
                    FloatVector wv = FloatVector.fromMemorySegment(fs, w, rowOffset + 4L * i, ByteOrder.LITTLE_ENDIAN);
                    a0 = wv.fma(FloatVector.fromArray(fs, xs, x0 + i), a0);
                    a1 = wv.fma(FloatVector.fromArray(fs, xs, x0 + cols + i), a1);
                    a2 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 2 * cols + i), a2);
                    a3 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 3 * cols + i), a3);
                }
                res[0] = a0.reduceLanes(VectorOperators.ADD);
                res[1] = a1.reduceLanes(VectorOperators.ADD);
                res[2] = a2.reduceLanes(VectorOperators.ADD);
                res[3] = a3.reduceLanes(VectorOperators.ADD);
            } else {
                for (int t = 0; t < nT; t++) {
                    FloatVector a0 = FloatVector.zero(fs), a1 = a0;
                    int xt = x0 + t * cols;
                    int i = 0;
                    for (; i + fs.length() < vec; i += 2 * fs.length()) {
                        a0 = FloatVector.fromMemorySegment(fs, w, rowOffset + 4L * i, ByteOrder.LITTLE_ENDIAN)
                                .fma(FloatVector.fromArray(fs, xs, xt + i), a0);
                        a1 = FloatVector.fromMemorySegment(fs, w, rowOffset + 4L * (i + fs.length()),
                                ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(fs, xs, xt + i + fs.length()), a1);
                    }
                    for (; i < vec; i += fs.length()) {
                        a0 = FloatVector.fromMemorySegment(fs, w, rowOffset + 4L * i, ByteOrder.LITTLE_ENDIAN)
                                .fma(FloatVector.fromArray(fs, xs, xt + i), a0);
                    }
                    res[t] = a0.add(a1).reduceLanes(VectorOperators.ADD);
                }
            }
            for (int i = vec; i < cols; i++) {
                float wi = w.get(F32_LE, rowOffset + 4L * i);
                for (int t = 0; t < nT; t++) {
                    res[t] += wi * xs[x0 + t * cols + i];
                }
            }
        }
    }

    /**
     * F16 and BF16 weights, widened to floats in vector lanes: BF16 is the top half of a float (a zero-extension and
     * a shift); an IEEE half's bits shifted into a float's place and rebiased give its value exactly, subnormals,
     * infinities and NaNs included, in integer operations and two masked ones ({@link Halves}).
     */
    static final class Half implements RowKernel {
        private final Lanes lanes;
        private final boolean bfloat;

        /** {@code bfloat} selects BF16 (the top half of a float) over IEEE binary16. */
        Half(Lanes lanes, boolean bfloat) {
            this.lanes = lanes;
            this.bfloat = bfloat;
        }

        @Override
        public ActivationFormat activation() {
            return ActivationFormat.F32;
        }

        @Override
        public int rowsAtOnce() {
            return 4;
        }

        /**
         * Four rows against one token, each with its own accumulator: one row alone is a single chain of dependent
         * FMAs, which waits on each one's latency, and a single stream of weights (measured on the 2-core Zen 5,
         * 1B model in F16: decode 6.5 t/s one row at a time).
         */
        @Override
        public void dotRows(MemorySegment w, long rowOffset, long stride, int cols, Activations x, float[] res) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.floats();
            VectorSpecies<Short> hs = lanes.halfShorts();
            VectorSpecies<Integer> is = lanes.ints();
            float[] xs = x.x;
            int x0 = x.xOffset;
            int vec = fs.loopBound(cols);
            long r0 = rowOffset;
            long r1 = rowOffset + stride;
            long r2 = rowOffset + 2 * stride;
            long r3 = rowOffset + 3 * stride;
            FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
            // Written out row by row: see IntDot on why kernels have no vector helpers.
            if (bfloat) {
                for (int i = 0; i < vec; i += fs.length()) {
                    FloatVector xv = FloatVector.fromArray(fs, xs, x0 + i);
                    a0 = ((IntVector) ShortVector.fromMemorySegment(hs, w, r0 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, is, 0)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().fma(xv, a0);
                    a1 = ((IntVector) ShortVector.fromMemorySegment(hs, w, r1 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, is, 0)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().fma(xv, a1);
                    a2 = ((IntVector) ShortVector.fromMemorySegment(hs, w, r2 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, is, 0)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().fma(xv, a2);
                    a3 = ((IntVector) ShortVector.fromMemorySegment(hs, w, r3 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, is, 0)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().fma(xv, a3);
                }
            } else {
                for (int i = 0; i < vec; i += fs.length()) {
                    FloatVector xv = FloatVector.fromArray(fs, xs, x0 + i);
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(hs, w, r0 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    IntVector m = h.lanewise(VectorOperators.LSHL, 13).and(MAGNITUDE);
                    FloatVector f = m.add(REBIAS).reinterpretAsFloats()
                            .lanewise(VectorOperators.FMA, 2f, -SUBNORMAL_UNIT, m.lt(SUBNORMAL_LIMIT).cast(fs));
                    a0 = f.reinterpretAsInts().or(h.and(PackedKernel.SIGN))
                            .lanewise(VectorOperators.OR, 0x7f800000, m.compare(VectorOperators.GE, INF_NAN))
                            .reinterpretAsFloats().fma(xv, a0);
                    h = (IntVector) ShortVector.fromMemorySegment(hs, w, r1 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    m = h.lanewise(VectorOperators.LSHL, 13).and(MAGNITUDE);
                    f = m.add(REBIAS).reinterpretAsFloats()
                            .lanewise(VectorOperators.FMA, 2f, -SUBNORMAL_UNIT, m.lt(SUBNORMAL_LIMIT).cast(fs));
                    a1 = f.reinterpretAsInts().or(h.and(PackedKernel.SIGN))
                            .lanewise(VectorOperators.OR, 0x7f800000, m.compare(VectorOperators.GE, INF_NAN))
                            .reinterpretAsFloats().fma(xv, a1);
                    h = (IntVector) ShortVector.fromMemorySegment(hs, w, r2 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    m = h.lanewise(VectorOperators.LSHL, 13).and(MAGNITUDE);
                    f = m.add(REBIAS).reinterpretAsFloats()
                            .lanewise(VectorOperators.FMA, 2f, -SUBNORMAL_UNIT, m.lt(SUBNORMAL_LIMIT).cast(fs));
                    a2 = f.reinterpretAsInts().or(h.and(PackedKernel.SIGN))
                            .lanewise(VectorOperators.OR, 0x7f800000, m.compare(VectorOperators.GE, INF_NAN))
                            .reinterpretAsFloats().fma(xv, a2);
                    h = (IntVector) ShortVector.fromMemorySegment(hs, w, r3 + 2L * i, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.S2I, is, 0);
                    m = h.lanewise(VectorOperators.LSHL, 13).and(MAGNITUDE);
                    f = m.add(REBIAS).reinterpretAsFloats()
                            .lanewise(VectorOperators.FMA, 2f, -SUBNORMAL_UNIT, m.lt(SUBNORMAL_LIMIT).cast(fs));
                    a3 = f.reinterpretAsInts().or(h.and(PackedKernel.SIGN))
                            .lanewise(VectorOperators.OR, 0x7f800000, m.compare(VectorOperators.GE, INF_NAN))
                            .reinterpretAsFloats().fma(xv, a3);
                }
            }
            res[0] = a0.reduceLanes(VectorOperators.ADD);
            res[1] = a1.reduceLanes(VectorOperators.ADD);
            res[2] = a2.reduceLanes(VectorOperators.ADD);
            res[3] = a3.reduceLanes(VectorOperators.ADD);
            for (int i = vec; i < cols; i++) {
                float xi = xs[x0 + i];
                for (int r = 0; r < 4; r++) {
                    short bits = w.get(I16_LE, rowOffset + r * stride + 2L * i);
                    res[r] += (bfloat ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat(bits)) * xi;
                }
            }
        }

        @Override
        public void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res) {
            if (bfloat) {
                dotBf16(w, rowOffset, cols, x, t0, nT, res);
            } else {
                dotF16(w, rowOffset, cols, x, t0, nT, res);
            }
        }

        private void dotBf16(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.floats();
            VectorSpecies<Short> hs = lanes.halfShorts();
            VectorSpecies<Integer> is = lanes.ints();
            float[] xs = x.x;
            int x0 = x.xOffset + t0 * cols;
            int vec = fs.loopBound(cols);
            int l = fs.length();
            FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < vec; i += l) {
                FloatVector wv = ((IntVector) ShortVector.fromMemorySegment(hs, w, rowOffset + 2L * i,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_S2I, is, 0))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                a0 = wv.fma(FloatVector.fromArray(fs, xs, x0 + i), a0);
                if (nT > 1) {
                    a1 = wv.fma(FloatVector.fromArray(fs, xs, x0 + cols + i), a1);
                }
                if (nT > 2) {
                    a2 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 2 * cols + i), a2);
                }
                if (nT > 3) {
                    a3 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 3 * cols + i), a3);
                }
            }
            res[0] = a0.reduceLanes(VectorOperators.ADD);
            res[1] = nT > 1 ? a1.reduceLanes(VectorOperators.ADD) : 0;
            res[2] = nT > 2 ? a2.reduceLanes(VectorOperators.ADD) : 0;
            res[3] = nT > 3 ? a3.reduceLanes(VectorOperators.ADD) : 0;
            for (int i = vec; i < cols; i++) {
                float wi = Float.intBitsToFloat(w.get(I16_LE, rowOffset + 2L * i) << 16);
                for (int t = 0; t < nT; t++) {
                    res[t] += wi * xs[x0 + t * cols + i];
                }
            }
        }

        private void dotF16(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res) {
            w = NativeSegments.of(w);
            VectorSpecies<Float> fs = lanes.floats();
            VectorSpecies<Short> hs = lanes.halfShorts();
            VectorSpecies<Integer> is = lanes.ints();
            float[] xs = x.x;
            int x0 = x.xOffset + t0 * cols;
            int vec = fs.loopBound(cols);
            int l = fs.length();
            FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < vec; i += l) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(hs, w, rowOffset + 2L * i,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, is, 0);
                IntVector m = h.lanewise(VectorOperators.LSHL, 13).and(MAGNITUDE);
                FloatVector f = m.add(REBIAS).reinterpretAsFloats()
                        .lanewise(VectorOperators.FMA, 2f, -SUBNORMAL_UNIT, m.lt(SUBNORMAL_LIMIT).cast(fs));
                FloatVector wv = f.reinterpretAsInts().or(h.and(PackedKernel.SIGN))
                        .lanewise(VectorOperators.OR, 0x7f800000, m.compare(VectorOperators.GE, INF_NAN))
                        .reinterpretAsFloats();
                a0 = wv.fma(FloatVector.fromArray(fs, xs, x0 + i), a0);
                if (nT > 1) {
                    a1 = wv.fma(FloatVector.fromArray(fs, xs, x0 + cols + i), a1);
                }
                if (nT > 2) {
                    a2 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 2 * cols + i), a2);
                }
                if (nT > 3) {
                    a3 = wv.fma(FloatVector.fromArray(fs, xs, x0 + 3 * cols + i), a3);
                }
            }
            res[0] = a0.reduceLanes(VectorOperators.ADD);
            res[1] = nT > 1 ? a1.reduceLanes(VectorOperators.ADD) : 0;
            res[2] = nT > 2 ? a2.reduceLanes(VectorOperators.ADD) : 0;
            res[3] = nT > 3 ? a3.reduceLanes(VectorOperators.ADD) : 0;
            for (int i = vec; i < cols; i++) {
                float wi = Float.float16ToFloat(w.get(I16_LE, rowOffset + 2L * i));
                for (int t = 0; t < nT; t++) {
                    res[t] += wi * xs[x0 + t * cols + i];
                }
            }
        }
    }
}
