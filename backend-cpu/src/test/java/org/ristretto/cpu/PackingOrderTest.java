package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;

/**
 * When the CPU backend packs a weight. Q8_0 (and Q4_0), whose prompts read the file's layout: not for batches, not at
 * its first one-token product (a prompt's logits), but at its second. Other types: at the first product of up to 31
 * tokens. Before and after, the products are the file layout's (to float rounding: the JIT may compile a kernel
 * between two calls, and a compiled reduction sums in another order).
 */
class PackingOrderTest {
    private static final int ROWS = PackBudgetTest.ROWS;
    private static final int COLS = PackBudgetTest.COLS;

    @Test
    void batchesAndTheFirstOneTokenProductRunOnTheFileLayoutAndTheSecondPacks() {
        assumeTrue(PackBudgetTest.hasPackedKernels(), "no packed kernels at this vector width (128 bits)");
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = threeTokens(rnd, COLS);
        try (Arena arena = Arena.ofShared(); CpuBackend packing = backend(WeightPacking.PACKED);
                CpuBackend unpacked = backend(WeightPacking.NONE)) {
            MemorySegment m = PackBudgetTest.q8_0(arena, rnd);
            CpuWeight w = (CpuWeight) packing.weight("w", GgmlType.Q8_0, COLS, ROWS, m);
            Tensor reference = unpacked.weight("w", GgmlType.Q8_0, COLS, ROWS, m);
            float[] fileBatch = product(unpacked, reference, x, 3, COLS);
            float[] fileOne = product(unpacked, reference, x, 1, COLS);

            assertClose(fileBatch, product(packing, w, x, 3, COLS), "a batch before any one-token product");
            assertFalse(w.packTried(), "a batch makes no copy");
            assertClose(fileOne, product(packing, w, x, 1, COLS), "the first one-token product");
            assertFalse(w.packTried(), "the first one-token product makes no copy");

            float[] packedOne = product(packing, w, x, 1, COLS);
            assertNotNull(w.packed(), "the second one-token product packs");
            assertClose(fileOne, packedOne, "the second one-token product, packed");
            assertClose(fileBatch, product(packing, w, x, 3, COLS), "a batch after packing");
        }
    }

    @Test
    void otherTypesArePackedAtTheirFirstBatch() {
        assumeTrue(PackBudgetTest.hasPackedKernels(), "no packed kernels at this vector width (128 bits)");
        int cols = 256;
        SplittableRandom rnd = new SplittableRandom(6);
        float[] x = threeTokens(rnd, cols);
        try (Arena arena = Arena.ofShared(); CpuBackend packing = backend(WeightPacking.PACKED);
                CpuBackend unpacked = backend(WeightPacking.NONE)) {
            MemorySegment m = q4_K(arena, rnd, ROWS, cols);
            CpuWeight w = (CpuWeight) packing.weight("w", GgmlType.Q4_K, cols, ROWS, m);
            float[] fileBatch = product(unpacked, unpacked.weight("w", GgmlType.Q4_K, cols, ROWS, m), x, 3, cols);
            assertClose(fileBatch, product(packing, w, x, 3, cols), "the first batch, packed");
            assertNotNull(w.packed(), "a Q4_K matrix is packed at its first batch");
        }
    }

    /** Three tokens of {@code cols} random activations. */
    private static float[] threeTokens(SplittableRandom rnd, int cols) {
        float[] x = new float[cols * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }

    private static CpuBackend backend(WeightPacking packing) {
        return new CpuBackend(CpuBackendProvider.hostDevice(), 2, packing);
    }

    /** A random Q4_K matrix: per block of 256, fp16 d and dmin, 12 bytes of 6-bit scales and 128 of nibbles. */
    private static MemorySegment q4_K(Arena arena, SplittableRandom rnd, int rows, int cols) {
        MemorySegment m = arena.allocate((long) rows * (cols / 256) * 144);
        for (long block = 0; block < m.byteSize(); block += 144) {
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, block, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.02)));
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, block + 2,
                    Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.02)));
            for (int i = 4; i < 144; i++) {
                m.set(ValueLayout.JAVA_BYTE, block + i, (byte) rnd.nextInt(256));
            }
        }
        return m;
    }

    /** {@code w · x} for the first {@code tokens} rows of {@code x}, rows of {@code cols}. */
    private static float[] product(CpuBackend backend, Tensor w, float[] x, int tokens, int cols) {
        Tensor in = backend.allocate("x", cols, tokens);
        Tensor out = backend.allocate("y", ROWS, tokens);
        backend.write(in, x, 0);
        backend.matmul(w, in, out);
        float[] got = new float[ROWS * tokens];
        backend.read(out, got, 0);
        backend.free(in);
        backend.free(out);
        return got;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4f * (1 + Math.abs(expected[i])), what + ", output " + i);
        }
    }
}
