package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;

/**
 * When the CPU backend packs a weight: not for batches, not at its first one-token product (a prompt's logits), but at
 * its second; before and after, the products are the file layout's (to float rounding: the JIT may compile a kernel
 * between two calls, and a compiled reduction sums in another order).
 */
class PackingOrderTest {
    private static final int ROWS = PackBudgetTest.ROWS;
    private static final int COLS = PackBudgetTest.COLS;

    @Test
    void batchesAndTheFirstOneTokenProductRunOnTheFileLayoutAndTheSecondPacks() {
        assumeTrue(PackBudgetTest.hasPackedKernels(), "no packed kernels at this vector width (128 bits)");
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[COLS * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        try (Arena arena = Arena.ofShared();
                CpuBackend packing = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.PACKED);
                CpuBackend unpacked = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.NONE)) {
            MemorySegment m = PackBudgetTest.q8_0(arena, rnd);
            CpuWeight w = (CpuWeight) packing.weight("w", GgmlType.Q8_0, COLS, ROWS, m);
            Tensor reference = unpacked.weight("w", GgmlType.Q8_0, COLS, ROWS, m);
            float[] fileBatch = product(unpacked, reference, x, 3);
            float[] fileOne = product(unpacked, reference, x, 1);

            assertClose(fileBatch, product(packing, w, x, 3), "a batch before any one-token product");
            assertFalse(w.packTried(), "a batch makes no copy");
            assertClose(fileOne, product(packing, w, x, 1), "the first one-token product");
            assertFalse(w.packTried(), "the first one-token product makes no copy");

            float[] packedOne = product(packing, w, x, 1);
            assertNotNull(w.packed(), "the second one-token product packs");
            assertClose(fileOne, packedOne, "the second one-token product, packed");
            assertClose(fileBatch, product(packing, w, x, 3), "a batch after packing");
        }
    }

    /** {@code w · x} for the first {@code tokens} rows of {@code x}. */
    private static float[] product(CpuBackend backend, Tensor w, float[] x, int tokens) {
        Tensor in = backend.allocate("x", COLS, tokens);
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
