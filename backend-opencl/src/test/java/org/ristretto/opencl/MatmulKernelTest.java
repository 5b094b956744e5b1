package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.quant.GgmlType;

/**
 * The matmul kernels of every weight type against a plain double-precision product of the values the scalar reference
 * codec decodes. Shapes: one row, one block per row, row counts that are not multiples of the work-group, one token
 * (decode), token counts below, at and above the kernel's tile of 8. Inputs and outputs sit at offsets inside larger
 * buffers, and a guard value around the output must survive.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MatmulKernelTest {
    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
        GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS};
    private static final float GUARD = -12345.5f;

    private OpenClRuntime runtime;
    private OpenClOps ops;
    private final java.util.Map<OpenClOps.MatmulLayout, OpenClOps> layouts =
            new java.util.EnumMap<>(OpenClOps.MatmulLayout.class);

    @BeforeAll
    void open() {
        runtime = OpenClTestSupport.openPreferredDevice();
        ops = new OpenClOps(runtime);
        for (OpenClOps.MatmulLayout l : OpenClOps.MatmulLayout.values()) {
            layouts.put(l, new OpenClOps(runtime, l));
        }
    }

    @AfterAll
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType t : TYPES) {
            int b = t.blockSize();
            int[][] shapes = b == 1
                    ? new int[][] {{1, 1, 1}, {1, 7, 3}, {5, 172, 1}, {37, 172, 9}, {130, 257, 17}, {9, 64, 8}}
                    : new int[][] {{1, b, 1}, {3, b, 2}, {37, 3 * b, 1}, {37, 3 * b, 9}, {130, 2 * b, 17}};
            for (int[] s : shapes) {
                for (OpenClOps.MatmulLayout l : OpenClOps.MatmulLayout.values()) {
                    cases.add(Arguments.of(t, l, s[0], s[1], s[2]));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3}, {4} tokens")
    @MethodSource("cases")
    void matmulMatchesScalarReference(GgmlType type, OpenClOps.MatmulLayout layout, int rows, int cols,
            int tokens) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols * 7L + tokens + type.ordinal() * 1000L);
        try (Arena arena = Arena.ofConfined()) {
            OpenClTestSupport.Encoded w = OpenClTestSupport.encode(arena, type,
                    OpenClTestSupport.randomFloats(random, rows * cols, 0.5f), rows, cols);
            float[] x = OpenClTestSupport.randomFloats(random, tokens * cols, 1f);
            float[] y = run(layouts.get(layout), w, type, rows, cols, x, tokens, null);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double ref = 0;
                    double mag = 0;
                    for (int k = 0; k < cols; k++) {
                        double p = (double) w.values()[r * cols + k] * x[t * cols + k];
                        ref += p;
                        mag += Math.abs(p);
                    }
                    check(type, t, r, ref, mag, y[t * rows + r]);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3}, {4} tokens")
    @MethodSource("cases")
    void fusedSwiGluMatchesScalarReference(GgmlType type, OpenClOps.MatmulLayout layout, int rows, int cols,
            int tokens) {
        SplittableRandom random = new SplittableRandom(rows * 17L + cols * 3L + tokens + type.ordinal() * 999L);
        try (Arena arena = Arena.ofConfined()) {
            OpenClTestSupport.Encoded g = OpenClTestSupport.encode(arena, type,
                    OpenClTestSupport.randomFloats(random, rows * cols, 0.5f), rows, cols);
            OpenClTestSupport.Encoded u = OpenClTestSupport.encode(arena, type,
                    OpenClTestSupport.randomFloats(random, rows * cols, 0.5f), rows, cols);
            float[] x = OpenClTestSupport.randomFloats(random, tokens * cols, 1f);
            float[] y = run(layouts.get(layout), g, type, rows, cols, x, tokens, u);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double gs = 0;
                    double us = 0;
                    double gm = 0;
                    double um = 0;
                    for (int k = 0; k < cols; k++) {
                        double xv = x[t * cols + k];
                        gs += g.values()[r * cols + k] * xv;
                        us += u.values()[r * cols + k] * xv;
                        gm += Math.abs(g.values()[r * cols + k] * xv);
                        um += Math.abs(u.values()[r * cols + k] * xv);
                    }
                    double silu = gs / (1 + Math.exp(-gs));
                    // Error of silu(g) * u from errors in g and u (silu' is at most 1.1).
                    double mag = 1.1 * gm * Math.abs(us) + Math.abs(silu) * um;
                    check(type, t, r, silu * us, mag, y[t * rows + r]);
                }
            }
        }
    }

    /**
     * Runs the kernel with the weights one row into their buffer, x two tokens into its buffer and y three rows into
     * its buffer, then checks the guard values on both sides of y.
     */
    private float[] run(OpenClOps ops, OpenClTestSupport.Encoded w, GgmlType type, int rows, int cols, float[] x, int tokens,
            OpenClTestSupport.Encoded up) {
        long rowBytes = type.byteSize(cols);
        try (DeviceBuffer wb = runtime.allocate(w.bytes().byteSize() + rowBytes, "weights");
                DeviceBuffer ub = runtime.allocate(w.bytes().byteSize() + rowBytes, "up weights");
                DeviceBuffer xb = runtime.allocate((x.length + 2L * cols) * 4, "x");
                DeviceBuffer yb = runtime.allocate(((long) tokens * rows + 4 + 3L * rows) * 4, "y")) {
            wb.write(rowBytes, w.bytes());
            if (up != null) {
                ub.write(rowBytes, up.bytes());
            }
            xb.write(2L * cols, x, 0, x.length);
            float[] guard = new float[(int) (yb.bytes() / 4)];
            java.util.Arrays.fill(guard, GUARD);
            yb.write(0, guard, 0, guard.length);
            DeviceSlice ws = wb.all().slice(rowBytes, w.bytes().byteSize());
            DeviceSlice xs = xb.all().slice(2L * cols * 4, (long) x.length * 4);
            DeviceSlice ys = yb.all().slice(3L * rows * 4, (long) tokens * rows * 4);
            if (up == null) {
                ops.matmul(type, ws, rows, cols, xs, tokens, ys);
            } else {
                ops.matmulSwiGlu(type, ws, ub.all().slice(rowBytes, up.bytes().byteSize()), rows, cols, xs, tokens,
                        ys);
            }
            float[] all = yb.readFloats();
            int start = 3 * rows;
            int end = start + tokens * rows;
            for (int i = 0; i < all.length; i++) {
                if ((i < start || i >= end) && all[i] != GUARD) {
                    fail(type + ": value " + i + " outside the output slice [" + start + ", " + end
                            + ") was overwritten with " + all[i]);
                }
            }
            float[] y = new float[tokens * rows];
            System.arraycopy(all, start, y, 0, y.length);
            return y;
        }
    }

    private static void check(GgmlType type, int t, int r, double ref, double magnitude, float actual) {
        // Float accumulation in another order: a few units of float rounding relative to the sum of |terms|.
        double tol = 2e-6 * magnitude + 1e-6;
        if (!(Math.abs(actual - ref) <= tol)) {
            fail(type + " token " + t + " row " + r + ": expected " + ref + " (tolerance " + tol + "), got "
                    + actual);
        }
    }

    @org.junit.jupiter.api.Test
    void unsupportedWeightTypeIsRefusedByName() {
        assertTrue(!OpenClOps.supportsWeights(GgmlType.Q8_K));
        try (DeviceBuffer b = runtime.allocate(1024, "w")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                    () -> ops.matmul(GgmlType.Q8_K, b.all(), 1, 256, b.all(), 1, b.all()));
            assertTrue(e.getMessage().contains("q8_K"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void shapeLargerThanBufferIsRefusedBeforeLaunch() {
        try (DeviceBuffer w = runtime.allocate(34 * 4, "small.weight"); DeviceBuffer x = runtime.allocate(512, "x");
                DeviceBuffer y = runtime.allocate(512, "y")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ops.matmul(GgmlType.Q8_0, w.all(), 8, 32, x.all(), 1, y.all()));
            assertTrue(e.getMessage().contains("small.weight") && e.getMessage().contains("needs 272"),
                    e.getMessage());
            var e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ops.matmul(GgmlType.Q8_0, w.all(), 1, 48, x.all(), 1, y.all()));
            assertTrue(e2.getMessage().contains("block size 32"), e2.getMessage());
        }
        assertEquals(0, runtime.allocatedBytes());
    }
}
