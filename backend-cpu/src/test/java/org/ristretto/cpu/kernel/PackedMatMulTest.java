package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/** The packed matrix×vector kernels against the scalar reference, on whole groups, partial groups and tails. */
class PackedMatMulTest {
    /** The types with a packed kernel. */
    static final GgmlType[] TYPES = {GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};
    static final int[] THREADS = {1, 2, 7};
    /** rows, blocks per row: one group, a group and a row, many groups with a tail, one block, several blocks. */
    static final int[][] PROBLEMS = {{8, 1}, {9, 2}, {16, 3}, {157, 2}, {71, 5}, {64, 1}};

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (VectorShape shape : new VectorShape[] {VectorShape.S_256_BIT, VectorShape.S_512_BIT}) {
                for (int threads : THREADS) {
                    for (boolean exact : new boolean[] {false, true}) {
                        all.add(Arguments.of(type, shape, threads, exact));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} threads={2} exact={3}")
    @MethodSource("cases")
    void packedProductMatchesReference(GgmlType type, VectorShape shape, int threads, boolean exact) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal() * 31L + threads + (exact ? 1000 : 0));
        try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            ActivationFormat format = mm.activationOf(type);
            for (int[] p : PROBLEMS) {
                int rows = p[0];
                int cols = p[1] * type.blockSize();
                long wOff = 3;
                MemorySegment w = Weights.random(arena, type, rows, cols, wOff, rnd);
                MemorySegment up = Weights.random(arena, type, rows, cols, 1, rnd);
                float[] deq = Weights.dequantize(type, w, wOff, rows, cols);
                float[] deqUp = Weights.dequantize(type, up, 1, rows, cols);
                PackedMatrix pw = mm.pack(type, w, wOff, rows, cols, arena);
                PackedMatrix pu = mm.pack(type, up, 1, rows, cols, arena);
                assertNotNull(pw, type + " has a packed kernel");
                int xOff = 5;
                float[] x = exact ? MatMulTest.exactActivations(xOff, cols, rnd)
                        : MatMulTest.randomActivations(xOff + cols, rnd);
                double[] e = exact ? new double[cols] : Tolerance.activationError(format, x, xOff, cols, 1);
                double[] ref = Weights.referenceProduct(deq, rows, cols, x, xOff, 1);
                double[] refUp = Weights.referenceProduct(deqUp, rows, cols, x, xOff, 1);
                String where = type + " " + shape + " threads=" + threads + " " + rows + "x" + cols;
                float[] out = new float[rows + 3];
                mm.multiply(pw, x, xOff, 1, out, 2);
                for (int r = 0; r < rows; r++) {
                    compare(where, r, ref[r], out[2 + r], Tolerance.bound(deq, r, cols, x, xOff, 0, e));
                }
                if (out[0] != 0 || out[1] != 0 || out[rows + 2] != 0) {
                    fail(where + ": wrote outside its output range");
                }
                mm.multiplySwiGlu(pw, pu, x, xOff, 1, out, 1);
                for (int r = 0; r < rows; r++) {
                    double dg = Tolerance.bound(deq, r, cols, x, xOff, 0, e);
                    double du = Tolerance.bound(deqUp, r, cols, x, xOff, 0, e);
                    double g = ref[r];
                    compare(where + " swiglu", r, g / (1 + Math.exp(-g)) * refUp[r], out[1 + r],
                            Tolerance.swiGlu(g, dg, refUp[r], du));
                }
            }
        }
    }

    /** Products of several tokens read the original blocks and give what the unpacked matrix gives. */
    @Test
    void severalTokensUseTheOriginal() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            int rows = 19;
            int cols = 64;
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, rows, cols, 0, rnd);
            float[] x = MatMulTest.randomActivations(3 * cols, rnd);
            float[] expected = new float[3 * rows];
            float[] actual = new float[3 * rows];
            mm.multiply(GgmlType.Q4_0, w, 0, rows, cols, x, 0, 3, expected, 0);
            mm.multiply(mm.pack(GgmlType.Q4_0, w, 0, rows, cols, arena), x, 0, 3, actual, 0);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], "output " + i);
            }
        }
    }

    @Test
    void nothingIsPackedBelowAGroupOrAt128Bits() {
        SplittableRandom rnd = new SplittableRandom(4);
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, 8, 32, 0, rnd);
            assertNull(new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.Q4_0, w, 0, 7, 32, arena));
            assertNull(new MatMul(pool, VectorShape.S_128_BIT).pack(GgmlType.Q4_0, w, 0, 8, 32, arena));
            assertNull(new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.IQ4_NL, w, 0, 8, 32, arena));
            assertThrows(IllegalArgumentException.class,
                    () -> new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.Q4_0, w, 0, 100, 32, arena),
                    "rows past the end");
        }
    }

    /** fp16 scales the packed Q4_0 kernel converts itself: zeros, subnormals, the extremes, both signs. */
    private static final short[] SPECIAL_SCALES = {0x0000, (short) 0x8000, 0x0001, 0x03ff, (short) 0x83ff, 0x0400,
            0x3c00, (short) 0xc100, 0x7bff, (short) 0xfbff, 0x1234, (short) 0x8001};

    @Test
    void q4_0ScalesOfEveryFiniteKindConvertExactly() {
        SplittableRandom rnd = new SplittableRandom(5);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            int rows = 24;
            int cols = 96;
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, rows, cols, 0, rnd);
            int blocks = rows * cols / 32;
            for (int i = 0; i < blocks; i++) {
                w.set(HALF, 18L * i, SPECIAL_SCALES[i % SPECIAL_SCALES.length]);
            }
            float[] deq = Weights.dequantize(GgmlType.Q4_0, w, 0, rows, cols);
            float[] x = MatMulTest.exactActivations(0, cols, rnd);
            double[] ref = Weights.referenceProduct(deq, rows, cols, x, 0, 1);
            float[] out = new float[rows];
            mm.multiply(mm.pack(GgmlType.Q4_0, w, 0, rows, cols, arena), x, 0, 1, out, 0);
            double[] e = new double[cols];
            for (int r = 0; r < rows; r++) {
                compare("special scales", r, ref[r], out[r], Tolerance.bound(deq, r, cols, x, 0, 0, e));
            }
        }
    }

    @Test
    void aQ4_0MatrixWithAnInfiniteOrNanScaleStaysUnpacked() {
        SplittableRandom rnd = new SplittableRandom(6);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            for (short bad : new short[] {0x7c00, (short) 0xfc00, 0x7e00, 0x7c01}) {
                MemorySegment w = Weights.random(arena, GgmlType.Q4_0, 16, 64, 0, rnd);
                w.set(HALF, 18L * 21, bad);
                assertNull(mm.pack(GgmlType.Q4_0, w, 0, 16, 64, arena), "scale " + Integer.toHexString(bad & 0xffff));
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfShort HALF =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private static void compare(String where, int r, double expected, float actual, double tol) {
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(where + ": out[" + r + "] = " + actual + ", reference " + expected + ", error "
                    + Math.abs(actual - expected) + " > bound " + tol);
        }
    }
}
