package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

/** Every kernel, at every vector width and several thread counts, against the scalar reference. */
class MatMulTest {
    /** The types the CPU backend must multiply. */
    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
            GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS};
    static final VectorShape[] SHAPES = {VectorShape.S_128_BIT, VectorShape.S_256_BIT, VectorShape.S_512_BIT};
    static final int[] THREADS = {1, 2, 7};

    /**
     * rows, blocks per row, tokens: one block, one row, rows not a multiple of chunks, 1/3/17 tokens, one token over
     * rows in several chunks of a kernel that reads rows side by side ({@link RowKernel#dotRows}: 601 rows, three
     * chunks, rows left over in the last), and token counts past {@link MatMul#TILED_MIN_TOKENS} (the tiled product:
     * partial row chunks and token tiles, several K-blocks).
     */
    static final int[][] PROBLEMS = {{1, 1, 1}, {1, 1, 17}, {157, 2, 1}, {601, 2, 1}, {157, 1, 3}, {19, 3, 17},
            {8, 2, 4}, {21, 3, MatMul.TILED_MIN_TOKENS + 5}, {1, 1, MatMul.TILED_MIN_TOKENS}};

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (VectorShape shape : SHAPES) {
                for (int threads : THREADS) {
                    all.add(Arguments.of(type, shape, threads));
                }
            }
        }
        return all.stream();
    }

    /** The row length for a problem: whole blocks, or for float types odd lengths that leave vector tails. */
    static int cols(GgmlType type, int blocks) {
        if (type.blockSize() > 1) {
            return blocks * type.blockSize();
        }
        return switch (blocks) {
            case 1 -> 1;
            case 2 -> 69;
            default -> 101;
        };
    }

    static float[] randomActivations(int n, SplittableRandom rnd) {
        float[] x = new float[n + 5];
        for (int i = 0; i < x.length; i++) {
            // Mixed magnitudes, so that Q8 blocks differ in scale.
            x[i] = (float) (rnd.nextDouble(-1, 1) * (1 + (i / 32 % 3) * 7));
        }
        return x;
    }

    /**
     * Activations that Q8_0 and Q8_K both represent exactly: per block of 256 a power-of-two scale, integer quants
     * in [-127, 127], and ±127 in every 32, so both quantizers pick exactly that scale.
     */
    static float[] exactActivations(int xOff, int n, SplittableRandom rnd) {
        float[] x = new float[xOff + n + 5];
        for (int b = 0; b < (n + 255) / 256; b++) {
            float d = Math.scalb(1f, rnd.nextInt(-9, -3));
            for (int j = b * 256; j < Math.min(n, b * 256 + 256); j++) {
                int q = j % 32 == 7 ? (rnd.nextBoolean() ? 127 : -127) : rnd.nextInt(-127, 128);
                x[xOff + j] = q * d;
            }
        }
        return x;
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void multiplyMatchesReference(GgmlType type, VectorShape shape, int threads) {
        check(type, shape, threads, false, false);
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void exactActivationsMatchWithinFloatRounding(GgmlType type, VectorShape shape, int threads) {
        check(type, shape, threads, true, false);
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void swiGluMatchesReference(GgmlType type, VectorShape shape, int threads) {
        check(type, shape, threads, false, true);
    }

    private static void check(GgmlType type, VectorShape shape, int threads, boolean exact, boolean swiGlu) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal() * 131L + threads * 7L + shape.vectorBitSize());
        try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            assertTrue(mm.supports(type), type + " is not supported");
            ActivationFormat format = mm.activationOf(type);
            for (int[] p : PROBLEMS) {
                int rows = p[0];
                int cols = cols(type, p[1]);
                int nTokens = p[2];
                long wOff = 3;
                MemorySegment w = Weights.random(arena, type, rows, cols, wOff, rnd);
                float[] deq = Weights.dequantize(type, w, wOff, rows, cols);
                int xOff = 5;
                float[] x = exact ? exactActivations(xOff, cols * nTokens, rnd)
                        : randomActivations(xOff + cols * nTokens, rnd);
                double[] ref = Weights.referenceProduct(deq, rows, cols, x, xOff, nTokens);
                double[] e = exact ? new double[cols * nTokens]
                        : Tolerance.activationError(format, x, xOff, cols, nTokens);
                int outOff = 2;
                float[] out = new float[outOff + rows * nTokens + 3];
                String where = type + " " + shape + " threads=" + threads + " " + rows + "x" + cols + " tokens="
                        + nTokens;
                if (!swiGlu) {
                    mm.multiply(type, w, wOff, rows, cols, x, xOff, nTokens, out, outOff);
                    for (int t = 0; t < nTokens; t++) {
                        for (int r = 0; r < rows; r++) {
                            double tol = Tolerance.bound(deq, r, cols, x, xOff, t, e);
                            compare(where, t, r, ref[t * rows + r], out[outOff + t * rows + r], tol);
                        }
                    }
                } else {
                    MemorySegment up = Weights.random(arena, type, rows, cols, 1, rnd);
                    float[] deqUp = Weights.dequantize(type, up, 1, rows, cols);
                    double[] refUp = Weights.referenceProduct(deqUp, rows, cols, x, xOff, nTokens);
                    mm.multiplySwiGlu(type, w, wOff, type, up, 1, rows, cols, x, xOff, nTokens, out, outOff);
                    for (int t = 0; t < nTokens; t++) {
                        for (int r = 0; r < rows; r++) {
                            double g = ref[t * rows + r];
                            double u = refUp[t * rows + r];
                            double dg = Tolerance.bound(deq, r, cols, x, xOff, t, e);
                            double du = Tolerance.bound(deqUp, r, cols, x, xOff, t, e);
                            double expected = g / (1 + Math.exp(-g)) * u;
                            compare(where + " swiglu", t, r, expected, out[outOff + t * rows + r],
                                    Tolerance.swiGlu(g, dg, u, du));
                        }
                    }
                }
                if (out[0] != 0 || out[1] != 0 || out[outOff + rows * nTokens] != 0) {
                    fail(where + ": wrote outside its output range");
                }
            }
        }
    }

    /**
     * The 16-bit integer tiled product of Q4_0 ({@link TiledQ4_0}, at 256 and 512 bits) on a shape the shared problems
     * miss: rows that fill no whole kernel group (19), a row of 11 blocks spanning two K-blocks (the second partial)
     * and a second, mostly padded token tile (33 tokens); and SwiGLU with Q4_0 on one side only, which prepares both
     * the integer and the float tiles. Each side is held to the bound of the activations it multiplies: Q8_0 quants
     * on the integer side, exact floats on the other.
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("integerTiledCases")
    void integerTiledProductAcrossKBlocksAndMixedSwiGlu(GgmlType type, VectorShape shape, int threads) {
        int rows = 19;
        int cols = 11 * 32;
        int nTokens = 33;
        SplittableRandom rnd = new SplittableRandom(shape.vectorBitSize() * 31L + threads);
        GgmlType[][] pairs = {{type, null}, {type, GgmlType.Q8_0}, {GgmlType.F16, type}};
        try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            for (GgmlType[] pair : pairs) {
                GgmlType gt = pair[0];
                MemorySegment gate = Weights.random(arena, gt, rows, cols, 0, rnd);
                float[] deqGate = Weights.dequantize(gt, gate, 0, rows, cols);
                float[] x = randomActivations(cols * nTokens, rnd);
                double[] g = Weights.referenceProduct(deqGate, rows, cols, x, 0, nTokens);
                double[] eg = Tolerance.activationError(tiledActivation(gt, type), x, 0, cols, nTokens);
                float[] out = new float[rows * nTokens];
                String where = shape + " threads=" + threads + " " + gt + (pair[1] == null ? "" : "+" + pair[1]);
                if (pair[1] == null) {
                    mm.multiply(gt, gate, 0, rows, cols, x, 0, nTokens, out, 0);
                    for (int t = 0; t < nTokens; t++) {
                        for (int r = 0; r < rows; r++) {
                            compare(where, t, r, g[t * rows + r], out[t * rows + r],
                                    Tolerance.bound(deqGate, r, cols, x, 0, t, eg));
                        }
                    }
                    continue;
                }
                GgmlType ut = pair[1];
                MemorySegment up = Weights.random(arena, ut, rows, cols, 0, rnd);
                float[] deqUp = Weights.dequantize(ut, up, 0, rows, cols);
                double[] u = Weights.referenceProduct(deqUp, rows, cols, x, 0, nTokens);
                double[] eu = Tolerance.activationError(tiledActivation(ut, type), x, 0, cols, nTokens);
                mm.multiplySwiGlu(gt, gate, 0, ut, up, 0, rows, cols, x, 0, nTokens, out, 0);
                for (int t = 0; t < nTokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double gi = g[t * rows + r];
                        double ui = u[t * rows + r];
                        compare(where + " swiglu", t, r, gi / (1 + Math.exp(-gi)) * ui, out[t * rows + r],
                                Tolerance.swiGlu(gi, Tolerance.bound(deqGate, r, cols, x, 0, t, eg), ui,
                                        Tolerance.bound(deqUp, r, cols, x, 0, t, eu)));
                    }
                }
            }
        }
    }

    static Stream<Arguments> integerTiledCases() {
        return Stream.of(GgmlType.Q4_0).flatMap(t -> Stream.of(
                Arguments.of(t, VectorShape.S_256_BIT, 1), Arguments.of(t, VectorShape.S_512_BIT, 1),
                Arguments.of(t, VectorShape.S_512_BIT, 3)));
    }

    /** The activations a tiled product of {@code type} multiplies: Q8_0 quants for the integer type, else floats. */
    private static ActivationFormat tiledActivation(GgmlType type, GgmlType integerType) {
        return type == integerType ? ActivationFormat.Q8_0 : ActivationFormat.F32;
    }

    private static void compare(String where, int t, int r, double expected, float actual, double tol) {
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(where + ": out[t=" + t + "][r=" + r + "] = " + actual + ", reference " + expected + ", error "
                    + Math.abs(actual - expected) + " > bound " + tol);
        }
    }

    /**
     * The tiled products in K-groups (here of 16 KB of activation tiles: Q8_0 quants of Q4_0 in four to eight groups,
     * floats of Q4_K, Q6_K and Q8_0 in groups of one 512-column K-block, the last one partial) give bit for bit the
     * single pass's results, for a plain product and a SwiGLU, 40 and 70 tokens, 50 rows (not a multiple of the
     * 16-row chunks), at every width.
     */
    @ParameterizedTest
    @MethodSource("groupedTypesAndShapes")
    void tiledInColumnGroupsMatchesOnePass(GgmlType type, VectorShape shape) {
        int rows = 50;
        int cols = 1280;
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(17);
            MemorySegment gate = Weights.random(arena, type, rows, cols, 0, rnd);
            MemorySegment up = Weights.random(arena, type, rows, cols, 0, rnd);
            MatMul onePass = new MatMul(pool, shape);
            MatMul grouped = new MatMul(pool, shape, 16 << 10);
            for (int tokens : new int[] {40, 70}) {
                float[] x = new float[tokens * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextDouble(-1, 1);
                }
                float[] a = new float[tokens * rows];
                float[] b = new float[tokens * rows];
                String where = type + " " + shape + " tokens=" + tokens;
                onePass.multiply(type, gate, 0, rows, cols, x, 0, tokens, a, 0);
                grouped.multiply(type, gate, 0, rows, cols, x, 0, tokens, b, 0);
                org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, where + " product");
                onePass.multiplySwiGlu(type, gate, 0, type, up, 0, rows, cols, x, 0, tokens, a, 0);
                grouped.multiplySwiGlu(type, gate, 0, type, up, 0, rows, cols, x, 0, tokens, b, 0);
                org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, where + " SwiGLU");
            }
        }
    }

    /**
     * {@link MatMul#warmUpTiled} (the integer Q4_0 kernel and the float one, on a matrix of fewer rows than a chunk)
     * leaves the products that follow bit for bit as without it, and a matrix too short for its shape is refused.
     */
    @Test
    void tiledWarmUpLeavesProductsUnchanged() {
        int cols = 1024;
        int tokens = 40;
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(23);
            float[] x = randomActivations(tokens * cols, rnd);
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q6_K}) {
                for (int rows : new int[] {5, 40}) {
                    MemorySegment w = Weights.random(arena, type, rows, cols, 0, rnd);
                    float[] cold = new float[tokens * rows];
                    new MatMul(pool).multiply(type, w, 0, rows, cols, x, 0, tokens, cold, 0);
                    MatMul warm = new MatMul(pool);
                    warm.warmUpTiled(new MatMul.WarmUpMatrix(type, w, rows, cols));
                    float[] after = new float[tokens * rows];
                    warm.multiply(type, w, 0, rows, cols, x, 0, tokens, after, 0);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(cold, after, type + " rows=" + rows);
                }
            }
            MemorySegment shortW = Weights.random(arena, GgmlType.Q4_0, 1, cols, 0, rnd);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new MatMul(pool)
                    .warmUpTiled(new MatMul.WarmUpMatrix(GgmlType.Q4_0, shortW, 2, cols)));
        }
    }

    /** Every finite half (subnormals, both zeros, the largest) through the vector widening, at every width. */
    @ParameterizedTest
    @MethodSource("shapes")
    void f16WideningCoversEveryFiniteHalf(VectorShape shape) {
        int cols = 0x7c00 * 2 / 8; // every non-negative finite bit pattern and its negative, 8 rows
        int rows = 8;
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(2L * rows * cols);
            for (int i = 0; i < rows * cols; i++) {
                int bits = i % 0x7c00;
                w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i,
                        (short) (i / 0x7c00 % 2 == 0 ? bits : bits | 0x8000));
            }
            SplittableRandom rnd = new SplittableRandom(5);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rnd.nextDouble(-1e-3, 1e-3);
            }
            float[] deq = Weights.dequantize(GgmlType.F16, w, 0, rows, cols);
            double[] ref = Weights.referenceProduct(deq, rows, cols, x, 0, 1);
            float[] out = new float[rows];
            new MatMul(pool, shape).multiply(GgmlType.F16, w, 0, rows, cols, x, 0, 1, out, 0);
            double[] e = new double[cols];
            for (int r = 0; r < rows; r++) {
                compare("F16 " + shape, 0, r, ref[r], out[r], Tolerance.bound(deq, r, cols, x, 0, 0, e));
            }
        }
    }

    /**
     * Subnormal halves widen to their exact values, for one token (four rows side by side) and for three (row by
     * row): rows of subnormals only (every mantissa, both signs) against activations of 1, 2 and 4, whose exact sums
     * are far smaller than the 2^-14 a widening that treated them as normal halves would add per weight.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void f16SubnormalHalvesWidenExactly(VectorShape shape) {
        int rows = 8;
        int cols = 70;
        int tokens = 3;
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(2L * rows * cols);
            double[] rowSums = new double[rows];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int mantissa = 1 + (r * cols + c) * 37 % 0x3ff;
                    short bits = (short) ((r + c) % 3 == 0 ? mantissa | 0x8000 : mantissa);
                    w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (r * cols + c), bits);
                    rowSums[r] += Float.float16ToFloat(bits);
                }
            }
            float[] x = new float[cols * tokens];
            for (int t = 0; t < tokens; t++) {
                java.util.Arrays.fill(x, t * cols, (t + 1) * cols, 1 << t);
            }
            MatMul mm = new MatMul(pool, shape);
            for (int n : new int[] {1, tokens}) {
                float[] out = new float[rows * n];
                mm.multiply(GgmlType.F16, w, 0, rows, cols, x, 0, n, out, 0);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        double expected = rowSums[r] * (1 << t);
                        assertEquals(expected, out[t * rows + r], Math.abs(expected) * 1e-5 + 1e-12,
                                shape + " tokens=" + n + " t=" + t + " row " + r);
                    }
                }
            }
        }
    }

    /**
     * Infinite and NaN halves stay infinite and NaN through the vector widening, for one token (four rows side by
     * side) and for three (row by row): a row holding +inf gives +inf against positive activations, one holding
     * -inf gives -inf, one holding a NaN gives NaN, and the others their finite sums.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void f16InfinitiesAndNaNsSurviveTheWidening(VectorShape shape) {
        int rows = 8;
        int cols = 70;
        short[] special = {0x7c00, (short) 0xfc00, 0x7e00, (short) 0xfd01};
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(2L * rows * cols);
            for (int i = 0; i < rows * cols; i++) {
                w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, Float.floatToFloat16(0.5f));
            }
            for (int r = 0; r < special.length; r++) {
                w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (2 * r * cols + 3 + 11 * r), special[r]);
            }
            int tokens = 3;
            float[] x = new float[cols * tokens];
            java.util.Arrays.fill(x, 0.25f);
            MatMul mm = new MatMul(pool, shape);
            for (int n : new int[] {1, tokens}) {
                float[] out = new float[rows * n];
                mm.multiply(GgmlType.F16, w, 0, rows, cols, x, 0, n, out, 0);
                for (int t = 0; t < n; t++) {
                    String where = shape + " tokens=" + n + " t=" + t;
                    assertEquals(Float.POSITIVE_INFINITY, out[t * rows], where + " +inf row");
                    assertEquals(Float.NEGATIVE_INFINITY, out[t * rows + 2], where + " -inf row");
                    assertTrue(Float.isNaN(out[t * rows + 4]), where + " NaN row");
                    assertTrue(Float.isNaN(out[t * rows + 6]), where + " negative NaN row");
                    for (int r : new int[] {1, 3, 5, 7}) {
                        assertEquals(0.125f * cols, out[t * rows + r], 1e-4f, where + " finite row " + r);
                    }
                }
            }
        }
    }

    static Stream<VectorShape> shapes() {
        return Stream.of(SHAPES);
    }

    static Stream<Arguments> groupedTypesAndShapes() {
        return Stream.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q8_0)
                .flatMap(t -> Stream.of(SHAPES).map(s -> Arguments.of(t, s)));
    }

    @Test
    void rejectsShapesThatDoNotFit() {
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool);
            MemorySegment w = arena.allocate(18 * 4);
            float[] x = new float[64];
            float[] out = new float[4];
            assertThrows(IllegalArgumentException.class,
                    () -> mm.multiply(GgmlType.Q4_0, w, 0, 2, 48, x, 0, 1, out, 0), "row not whole blocks");
            assertThrows(IllegalArgumentException.class,
                    () -> mm.multiply(GgmlType.Q4_0, w, 0, 5, 32, x, 0, 1, out, 0), "weights past the end");
            assertThrows(IllegalArgumentException.class,
                    () -> mm.multiply(GgmlType.Q4_0, w, 0, 2, 32, x, 40, 1, out, 0), "activations too short");
            assertThrows(IllegalArgumentException.class,
                    () -> mm.multiply(GgmlType.Q4_0, w, 0, 2, 32, x, 0, 3, out, 0), "output too short");
            assertThrows(IllegalArgumentException.class,
                    () -> mm.multiply(GgmlType.IQ2_XXS, w, 0, 1, 256, x, 0, 1, out, 0), "unsupported type");
        }
    }
}
