package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.parallel.WorkerPool;

/** The row-wise operations of the CPU backend: embedding lookup, RMS norm, addition and argmax, split over rows. */
final class RowOps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements below which splitting an element-wise op across threads costs more than it saves. */
    private static final int MIN_PARALLEL_ELEMENTS = 16_384;

    private final WorkerPool pool;
    // Each operation is a range task kept from call to call, its arguments in fields (set by the call, kept until the
    // next), so that a call allocates nothing: a capturing lambda would be a new object per call. One caller at a time.
    private final GetRows getRows = new GetRows();
    private final RmsNorm rmsNorm = new RmsNorm();
    private final Add add = new Add();
    private final Argmax argmax = new Argmax();

    RowOps(WorkerPool pool) {
        this.pool = pool;
    }

    void getRows(CpuWeight table, int[] ids, CpuActivation out) {
        getRows.table = table;
        getRows.ids = ids;
        getRows.out = out;
        pool.forRange(ids.length, minRows(table.columns()), getRows);
    }

    void rmsNorm(CpuActivation x, float[] weight, float eps, CpuActivation out) {
        rmsNorm.x = x;
        rmsNorm.weight = weight;
        rmsNorm.eps = eps;
        rmsNorm.out = out;
        pool.forRange(x.rows(), minRows(x.columns()), rmsNorm);
    }

    void add(CpuActivation a, float[] b, int bOffset, boolean broadcast, CpuActivation out) {
        add.a = a;
        add.b = b;
        add.bOffset = bOffset;
        add.broadcast = broadcast;
        add.out = out;
        pool.forRange(a.rows(), minRows(a.columns()), add);
    }

    int[] argmax(CpuActivation x) {
        int[] result = new int[x.rows()];
        argmax.x = x;
        argmax.result = result;
        pool.forRange(x.rows(), 1, argmax);
        return result;
    }

    private static final class GetRows implements WorkerPool.RangeTask {
        CpuWeight table;
        int[] ids;
        CpuActivation out;

        @Override
        public void run(int from, int to, int worker) {
            int cols = table.columns();
            MemorySegment data = table.data();
            long rowBytes = table.rowBytes();
            GgmlType type = table.type();
            for (int i = from; i < to; i++) {
                long at = ids[i] * rowBytes;
                if (type == GgmlType.F32) {
                    MemorySegment.copy(data, FLOAT, at, out.data(), out.rowOffset(i), cols);
                } else {
                    QuantFormats.of(type).dequantize(data, at, out.data(), out.rowOffset(i), cols);
                }
            }
        }
    }

    private static final class RmsNorm implements WorkerPool.RangeTask {
        CpuActivation x;
        float[] weight;
        float eps;
        CpuActivation out;

        @Override
        public void run(int from, int to, int worker) {
            int group = weight.length;
            int groups = x.columns() / group;
            float[] xd = x.data();
            float[] od = out.data();
            for (int r = from; r < to; r++) {
                for (int g = 0; g < groups; g++) {
                    int xa = x.rowOffset(r) + g * group;
                    int oa = out.rowOffset(r) + g * group;
                    float scale = (float) (1.0 / Math.sqrt(sumOfSquares(xd, xa, group) / group + eps));
                    scaleMultiply(xd, xa, scale, weight, od, oa, group);
                }
            }
        }
    }

    private static final class Add implements WorkerPool.RangeTask {
        CpuActivation a;
        float[] b;
        int bOffset;
        boolean broadcast;
        CpuActivation out;

        @Override
        public void run(int from, int to, int worker) {
            int cols = a.columns();
            for (int r = from; r < to; r++) {
                int bo = broadcast ? bOffset : bOffset + r * cols;
                add(a.data(), a.rowOffset(r), b, bo, out.data(), out.rowOffset(r), cols);
            }
        }
    }

    private static final class Argmax implements WorkerPool.RangeTask {
        CpuActivation x;
        int[] result;

        @Override
        public void run(int from, int to, int worker) {
            float[] d = x.data();
            for (int r = from; r < to; r++) {
                int at = x.rowOffset(r);
                int best = 0;
                float max = d[at];
                for (int c = 1; c < x.columns(); c++) {
                    if (d[at + c] > max) {
                        max = d[at + c];
                        best = c;
                    }
                }
                result[r] = best;
            }
        }
    }

    private static int minRows(int columns) {
        return Math.max(1, MIN_PARALLEL_ELEMENTS / Math.max(1, columns));
    }

    private static double sumOfSquares(float[] x, int at, int n) {
        int i = 0;
        double sum = 0;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, at + i);
                acc = v.fma(v, acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += (double) x[at + i] * x[at + i];
        }
        return sum;
    }

    private static void scaleMultiply(float[] x, int xa, float scale, float[] w, float[] out, int oa, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, x, xa + i).mul(scale).mul(FloatVector.fromArray(SPECIES, w, i))
                    .intoArray(out, oa + i);
        }
        for (; i < n; i++) {
            out[oa + i] = x[xa + i] * scale * w[i];
        }
    }

    private static void add(float[] a, int aa, float[] b, int ba, float[] out, int oa, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, a, aa + i).add(FloatVector.fromArray(SPECIES, b, ba + i))
                    .intoArray(out, oa + i);
        }
        for (; i < n; i++) {
            out[oa + i] = a[aa + i] + b[ba + i];
        }
    }
}
