package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * The file-layout kernels' warm-up reads only the matrices it is given (each exactly as large as its shape, so a read
 * past the end throws), skips a matrix of fewer rows than a kernel reads at once, and leaves products unchanged but
 * for float rounding (compiled and interpreted Vector API lane reductions add in different orders).
 */
class RowKernelWarmUpTest {
    @Test
    void warmsUpWithinTheGivenMatricesAndChangesNoProduct() {
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool);
            // Q8_0 and F16 read four rows at once for one token; Q4_K one. Q8_0 also narrower than the warm-up's
            // 256 columns, and with two rows (fewer than four: skipped).
            List<MatMul.WarmUpMatrix> matrices = List.of(
                    matrix(arena, GgmlType.Q4_K, 5, 512),
                    matrix(arena, GgmlType.Q8_0, 4, 64),
                    matrix(arena, GgmlType.Q8_0, 2, 96),
                    matrix(arena, GgmlType.F16, 6, 70));
            float[][] before = new float[matrices.size()][];
            for (int i = 0; i < matrices.size(); i++) {
                before[i] = product(mm, matrices.get(i));
            }
            mm.warmUp(List.of(), matrices);
            for (int i = 0; i < matrices.size(); i++) {
                float[] after = product(mm, matrices.get(i));
                for (int j = 0; j < after.length; j++) {
                    assertEquals(before[i][j], after[j], 1e-5f * Math.max(1, Math.abs(before[i][j])),
                            matrices.get(i) + " output " + j);
                }
            }
        }
    }

    private static MatMul.WarmUpMatrix matrix(Arena arena, GgmlType type, int rows, int cols) {
        long bytes = type.byteSize(cols) * rows;
        MemorySegment w = arena.allocate(bytes, 1);
        SplittableRandom rnd = new SplittableRandom(rows * 31L + cols);
        for (long i = 0; i < bytes; i++) {
            // Bytes below 0x3c keep every fp16 scale or value finite and small.
            w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(0x3c));
        }
        return new MatMul.WarmUpMatrix(type, w, rows, cols);
    }

    /** One token, then three, times the matrix. */
    private static float[] product(MatMul mm, MatMul.WarmUpMatrix m) {
        float[] x = new float[3 * m.cols()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        float[] out = new float[4 * m.rows()];
        mm.multiply(m.type(), m.w(), 0, m.rows(), m.cols(), x, 0, 1, out, 0);
        mm.multiply(m.type(), m.w(), 0, m.rows(), m.cols(), x, 0, 3, out, m.rows());
        return out;
    }
}
