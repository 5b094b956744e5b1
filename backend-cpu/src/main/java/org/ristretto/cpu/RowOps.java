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

    RowOps(WorkerPool pool) {
        this.pool = pool;
    }

    void getRows(CpuWeight table, int[] ids, CpuActivation out) {
        int cols = table.columns();
        MemorySegment data = table.data();
        long rowBytes = table.rowBytes();
        GgmlType type = table.type();
        pool.forRange(ids.length, minRows(cols), (from, to, w) -> {
            for (int i = from; i < to; i++) {
                long at = ids[i] * rowBytes;
                if (type == GgmlType.F32) {
                    MemorySegment.copy(data, FLOAT, at, out.data(), out.rowOffset(i), cols);
                } else {
                    QuantFormats.of(type).dequantize(data, at, out.data(), out.rowOffset(i), cols);
                }
            }
        });
    }

    void rmsNorm(CpuActivation x, float[] weight, float eps, CpuActivation out) {
        int group = weight.length;
        int groups = x.columns() / group;
        float[] xd = x.data();
        float[] od = out.data();
        pool.forRange(x.rows(), minRows(x.columns()), (from, to, w) -> {
            for (int r = from; r < to; r++) {
                for (int g = 0; g < groups; g++) {
                    int xa = x.rowOffset(r) + g * group;
                    int oa = out.rowOffset(r) + g * group;
                    float scale = (float) (1.0 / Math.sqrt(sumOfSquares(xd, xa, group) / group + eps));
                    scaleMultiply(xd, xa, scale, weight, od, oa, group);
                }
            }
        });
    }

    void add(CpuActivation a, float[] b, int bOffset, boolean broadcast, CpuActivation out) {
        int cols = a.columns();
        float[] ad = a.data();
        float[] od = out.data();
        pool.forRange(a.rows(), minRows(cols), (from, to, w) -> {
            for (int r = from; r < to; r++) {
                int bo = broadcast ? bOffset : bOffset + r * cols;
                add(ad, a.rowOffset(r), b, bo, od, out.rowOffset(r), cols);
            }
        });
    }

    int[] argmax(CpuActivation x) {
        int[] result = new int[x.rows()];
        float[] d = x.data();
        pool.forRange(x.rows(), 1, (from, to, w) -> {
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
        });
        return result;
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
