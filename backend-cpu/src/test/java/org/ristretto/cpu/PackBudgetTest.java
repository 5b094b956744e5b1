package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;

/** Packed copies stop at the backend's budget; the matrices past it multiply from the file's layout. */
class PackBudgetTest {
    static final int ROWS = 32;
    static final int COLS = 64;
    /** One packed Q8_0 copy of a 32 × 64 matrix: 34 bytes per row and block of 32, at 256 or 512 bits. */
    private static final long ONE_COPY = ROWS * (COLS / 32) * 34L;

    @Test
    void readsThreeQuartersOfMemAvailable() {
        assertEquals(12288L * 1024, PackBudget.fromMeminfo(List.of("MemTotal:  32768 kB", "MemAvailable:   16384 kB")));
        assertEquals(Long.MAX_VALUE, PackBudget.fromMeminfo(List.of("MemTotal:  32768 kB")));
        assertEquals(Long.MAX_VALUE, PackBudget.fromMeminfo(List.of("MemAvailable: lots")));
    }

    @Test
    void matricesPastTheBudgetStayUnpackedAndGiveTheSameProducts() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        try (Arena arena = Arena.ofShared();
                CpuBackend budgeted = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.PACKED,
                        ONE_COPY);
                CpuBackend unpacked = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.NONE)) {
            MemorySegment a = q8_0(arena, rnd);
            MemorySegment b = q8_0(arena, rnd);
            CpuWeight wa = (CpuWeight) budgeted.weight("a", GgmlType.Q8_0, COLS, ROWS, a);
            CpuWeight wb = (CpuWeight) budgeted.weight("b", GgmlType.Q8_0, COLS, ROWS, b);
            assumeTrue(hasPackedKernels(), "no packed kernels at this vector width (128 bits)");
            float[] first = productAfterPacking(budgeted, wa, x);
            float[] second = productAfterPacking(budgeted, wb, x);
            assertNotNull(wa.packed(), "the first matrix fits the budget");
            assertNull(wb.packed(), "the second matrix is past the budget");
            assertTrue(wb.packTried(), "the decision is made once");
            assertArrayEquals(product(unpacked, unpacked.weight("b", GgmlType.Q8_0, COLS, ROWS, b), x), second,
                    "past the budget the product is the file layout's");
            float[] fromFile = product(unpacked, unpacked.weight("a", GgmlType.Q8_0, COLS, ROWS, a), x);
            for (int r = 0; r < ROWS; r++) {
                assertEquals(fromFile[r], first[r], 1e-4f * (1 + Math.abs(fromFile[r])), "packed row " + r);
            }
        }
    }

    /** Whether the CPU backend has packed kernels here: at 256 bits and wider, not at 128. */
    static boolean hasPackedKernels() {
        return IntVector.SPECIES_PREFERRED.length() >= 8;
    }

    /**
     * {@code w · x} on {@code backend} at the weight's second one-token product, where the backend packs it (the
     * first runs on the file's layout).
     */
    static float[] productAfterPacking(CpuBackend backend, Tensor w, float[] x) {
        product(backend, w, x);
        return product(backend, w, x);
    }

    /** {@code w · x} on {@code backend}, for a {@link #ROWS} × {@link #COLS} matrix. */
    static float[] product(CpuBackend backend, Tensor w, float[] x) {
        Tensor in = backend.allocate("x", COLS, 1);
        Tensor out = backend.allocate("y", ROWS, 1);
        backend.write(in, x, 0);
        backend.matmul(w, in, out);
        float[] got = new float[ROWS];
        backend.read(out, got, 0);
        backend.free(in);
        backend.free(out);
        return got;
    }

    /** A random Q8_0 matrix: an fp16 scale and 32 signed bytes per block. */
    static MemorySegment q8_0(Arena arena, SplittableRandom rnd) {
        MemorySegment m = arena.allocate(ROWS * (COLS / 32) * 34L);
        for (long block = 0; block < m.byteSize(); block += 34) {
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, block, Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.02)));
            for (int i = 0; i < 32; i++) {
                m.set(ValueLayout.JAVA_BYTE, block + 2 + i, (byte) rnd.nextInt(-127, 128));
            }
        }
        return m;
    }
}
