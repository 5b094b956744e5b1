package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/** {@link MatMul#warmUp}: it multiplies a real weight's first rows and leaves later products as they were. */
class KernelWarmUpTest {
    @Test
    void productsAfterAWarmUpAreTheSameAsBefore() {
        SplittableRandom rnd = new SplittableRandom(9);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
                int rows = 21;
                int cols = 512;
                MemorySegment w = Weights.random(arena, type, rows, cols, 0, rnd);
                float[] x = MatMulTest.randomActivations(5 * cols, rnd);
                float[] before = new float[5 * rows];
                float[] after = new float[5 * rows];
                mm.multiply(type, w, 0, rows, cols, x, 0, 5, before, 0);
                mm.warmUp(type, w, rows, cols);
                mm.multiply(type, w, 0, rows, cols, x, 0, 5, after, 0);
                // Not bit for bit: the first product may have run in the interpreter, whose lane sums associate
                // differently from C2's. A warm-up that disturbed the scratch state would be far off.
                double scale = 0;
                for (float v : before) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < before.length; i++) {
                    assertEquals(before[i], after[i], 1e-5 * scale, type + " output " + i);
                }
            }
        }
    }

    @Test
    void aShapeTheWeightDoesNotHoldIsRefused() {
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, 4, 64, 0, new SplittableRandom(1));
            assertThrows(IllegalArgumentException.class, () -> mm.warmUp(GgmlType.Q4_0, w, 40, 64));
        }
    }
}
