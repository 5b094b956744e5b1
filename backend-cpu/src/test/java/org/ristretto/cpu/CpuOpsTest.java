package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;

/** The CPU backend's element-wise and row operations against plain loops. */
class CpuOpsTest {
    private final CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 3);
    private final Arena arena = Arena.ofConfined();
    private final Random rnd = new Random(7);

    @AfterEach
    void close() {
        backend.close();
        arena.close();
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void getRowsDequantizesTheRequestedRows(GgmlType type) {
        QuantFormat format;
        try {
            format = QuantFormats.of(type);
        } catch (UnsupportedOperationException e) {
            assertFalse(backend.supports(Op.GET_ROWS, type), type + " has no format but is claimed supported");
            return;
        }
        assertTrue(backend.supports(Op.GET_ROWS, type));
        int cols = type.blockSize() * 3;
        int rows = 11;
        float[] src = AttentionTest.gaussian(rnd, cols * rows, 1f);
        long rowBytes = type.byteSize(cols);
        MemorySegment data = arena.allocate(rowBytes * rows);
        for (int r = 0; r < rows; r++) {
            try {
                format.quantize(src, r * cols, data, r * rowBytes, cols);
            } catch (UnsupportedOperationException readOnlyType) {
                // types Ristretto only reads (IQ4_NL, IQ4_XS): any bytes are blocks; keep the scales finite
                for (long b = r * rowBytes; b < (r + 1) * rowBytes; b++) {
                    data.set(ValueLayout.JAVA_BYTE, b, (byte) (rnd.nextInt(256) & 0x3f));
                }
            }
        }
        Tensor table = backend.weight("table", type, cols, rows, data);
        int[] ids = {10, 0, 3, 3, 7};
        Tensor out = backend.allocate("out", cols, ids.length);
        backend.getRows(table, ids, out);
        float[] got = new float[cols * ids.length];
        backend.read(out, got, 0);
        for (int i = 0; i < ids.length; i++) {
            float[] want = new float[cols];
            format.dequantize(data, ids[i] * rowBytes, want, 0, cols);
            for (int c = 0; c < cols; c++) {
                assertEquals(want[c], got[i * cols + c], 0f, type + " row " + ids[i] + " col " + c);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> backend.getRows(table, new int[] {rows}, backend.allocate(
                "one", cols, 1)));
    }

    @Test
    void rmsNormOfRowsAndOfHeads() {
        int rows = 4;
        int cols = 96;
        float[] x = AttentionTest.gaussian(rnd, rows * cols, 3f);
        for (int group : new int[] {cols, 32}) {
            float[] w = AttentionTest.gaussian(rnd, group, 1f);
            Tensor weight = backend.weight("w", GgmlType.F32, group, 1, floats(w));
            Tensor in = backend.allocate("x", cols, rows);
            backend.write(in, x, 0);
            Tensor out = backend.allocate("y", cols, rows);
            backend.rmsNorm(in, weight, 1e-5f, out);
            backend.rmsNorm(in, weight, 1e-5f, in); // in place gives the same
            float[] got = new float[rows * cols];
            float[] inPlace = new float[rows * cols];
            backend.read(out, got, 0);
            backend.read(in, inPlace, 0);
            assertArrayEquals(got, inPlace);
            for (int r = 0; r < rows; r++) {
                for (int g = 0; g < cols / group; g++) {
                    int at = r * cols + g * group;
                    double ss = 0;
                    for (int i = 0; i < group; i++) {
                        ss += (double) x[at + i] * x[at + i];
                    }
                    double scale = 1 / Math.sqrt(ss / group + 1e-5);
                    for (int i = 0; i < group; i++) {
                        double want = x[at + i] * scale * w[i];
                        assertEquals(want, got[at + i], 1e-5 * Math.max(1, Math.abs(want)));
                    }
                }
            }
        }
    }

    @Test
    void addFullAndBroadcast() {
        int rows = 3;
        int cols = 37;
        float[] a = AttentionTest.gaussian(rnd, rows * cols, 1f);
        float[] b = AttentionTest.gaussian(rnd, rows * cols, 1f);
        Tensor ta = backend.allocate("a", cols, rows);
        Tensor tb = backend.allocate("b", cols, rows);
        Tensor out = backend.allocate("out", cols, rows);
        backend.write(ta, a, 0);
        backend.write(tb, b, 0);
        backend.add(ta, tb, out);
        float[] got = new float[rows * cols];
        backend.read(out, got, 0);
        for (int i = 0; i < got.length; i++) {
            assertEquals(a[i] + b[i], got[i], 0f);
        }
        // a bias weight of one row, and a one-row activation view, are added to every row
        Tensor bias = backend.weight("bias", GgmlType.F32, cols, 1, floats(java.util.Arrays.copyOf(b, cols)));
        Tensor lastRow = backend.view(tb, rows - 1, 1);
        for (Tensor one : new Tensor[] {bias, lastRow}) {
            int base = one == bias ? 0 : (rows - 1) * cols;
            backend.write(ta, a, 0);
            backend.add(ta, one, ta);
            backend.read(ta, got, 0);
            for (int i = 0; i < got.length; i++) {
                assertEquals(a[i] + b[base + i % cols], got[i], 0f);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> backend.add(ta, backend.allocate("c", cols + 1, 1), ta));
    }

    @Test
    void argmaxPicksTheLowestIndexOfTheMaximum() {
        Tensor x = backend.allocate("x", 5, 3);
        backend.write(x, new float[] {1, 3, 3, 0, 2, -5, -1, -1, -9, -2, 0, 0, 0, 0, 7}, 0);
        assertArrayEquals(new int[] {1, 1, 4}, backend.argmax(x));
        assertArrayEquals(new int[] {4}, backend.argmax(backend.view(x, 2, 1)));
    }

    @Test
    void kvCachePositionsOutsideTheContextAreRejected() {
        try (KvCache cache = backend.allocateKvCache(new KvCacheSpec(1, 4, 1, 8, GgmlType.F16))) {
            Tensor k = backend.allocate("k", 8, 2);
            assertThrows(IllegalArgumentException.class, () -> backend.storeKv(cache, 0, 3, k, k));
            assertThrows(IllegalArgumentException.class, () -> backend.storeKv(cache, 1, 0, k, k));
            Tensor q = backend.allocate("q", 16, 2);
            assertThrows(IllegalArgumentException.class, () -> backend.attention(q, cache, 0, 3, 2, 1f, q));
        }
    }

    @Test
    void supportsTheKvCacheTypesAndF32ElsewhereOnly() {
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0}) {
            assertTrue(backend.supports(Op.STORE_KV, t));
            assertTrue(backend.supports(Op.ATTENTION, t));
        }
        assertFalse(backend.supports(Op.ATTENTION, GgmlType.Q4_0));
        assertTrue(backend.supports(Op.RMS_NORM, GgmlType.F32));
        assertFalse(backend.supports(Op.ROPE, GgmlType.F16));
    }

    @Test
    void aWeightOnTheHeapIsRefusedByName() {
        MemorySegment heap = MemorySegment.ofArray(new float[64]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.weight("blk.0.ffn_up.weight", GgmlType.F32, 8, 8, heap));
        assertTrue(e.getMessage().contains("blk.0.ffn_up.weight") && e.getMessage().contains("native memory"),
                e.getMessage());
    }

    private MemorySegment floats(float[] values) {
        MemorySegment seg = arena.allocate(4L * values.length);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return seg;
    }
}
