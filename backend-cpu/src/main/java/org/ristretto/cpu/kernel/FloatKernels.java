package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32, F16 and BF16 weights: multiplied in float with FMA against the float activations, no quantization.
 *
 * <p>F32 rows are read straight from the mapping. F16 and BF16 rows are first widened into a per-worker float
 * buffer (the JDK's {@code Float.float16ToFloat} is an intrinsic, and the loop is simple enough for the JIT to
 * vectorize), then multiplied like F32; the widening is paid once per row for a whole tile of tokens.
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
        public void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res,
                WorkerScratch scratch) {
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

    /** F16 and BF16 weights: 16-bit floats widened per row. */
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
        public void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res,
                WorkerScratch scratch) {
            float[] row = scratch.row(cols);
            if (bfloat) {
                for (int i = 0; i < cols; i++) {
                    row[i] = Float.intBitsToFloat(w.get(I16_LE, rowOffset + 2L * i) << 16);
                }
            } else {
                for (int i = 0; i < cols; i++) {
                    row[i] = Float.float16ToFloat(w.get(I16_LE, rowOffset + 2L * i));
                }
            }
            dotRow(lanes, row, cols, x, t0, nT, res);
        }
    }

    /** {@code res[t] = row · x[t0 + t]} for a row already in floats. */
    static void dotRow(Lanes lanes, float[] row, int cols, Activations x, int t0, int nT, float[] res) {
        VectorSpecies<Float> fs = lanes.floats();
        float[] xs = x.x;
        int x0 = x.xOffset + t0 * cols;
        int vec = fs.loopBound(cols);
        for (int t = 0; t < nT; t++) {
            FloatVector a0 = FloatVector.zero(fs), a1 = a0;
            int xt = x0 + t * cols;
            int i = 0;
            for (; i + fs.length() < vec; i += 2 * fs.length()) {
                a0 = FloatVector.fromArray(fs, row, i).fma(FloatVector.fromArray(fs, xs, xt + i), a0);
                a1 = FloatVector.fromArray(fs, row, i + fs.length())
                        .fma(FloatVector.fromArray(fs, xs, xt + i + fs.length()), a1);
            }
            for (; i < vec; i += fs.length()) {
                a0 = FloatVector.fromArray(fs, row, i).fma(FloatVector.fromArray(fs, xs, xt + i), a0);
            }
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (int j = vec; j < cols; j++) {
                s += row[j] * xs[xt + j];
            }
            res[t] = s;
        }
    }
}
