package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;

/**
 * Embedding lookup (get_rows) for every weight type: against ggml's own quantized blocks and ggml's own dequantization
 * of them ({@code quant/ggml-quant-vectors.gguf}, an outside reference), and against the scalar reference codec on
 * random tables with odd row lengths for the unblocked types.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GetRowsKernelTest {
    private OpenClRuntime runtime;
    private OpenClOps ops;

    @BeforeAll
    void open() {
        runtime = OpenClTestSupport.openPreferredDevice();
        ops = new OpenClOps(runtime);
    }

    @AfterAll
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizesGgmlVectorsLikeGgml(GgmlType type) throws IOException {
        try (GgufFile vectors = GgufFile.open(SharedModels.require("quant/ggml-quant-vectors.gguf"))) {
            GgufTensorInfo q = vectors.tensor(type.ggmlName() + ".q");
            int cols = (int) q.rowLength();
            int rows = (int) q.rowCount();
            MemorySegment deq = vectors.tensorData(type.ggmlName() + ".deq");
            float[] expected = deq.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            int[] ids = {rows - 1, 0, 2, 2, 1};
            float[] actual = lookup(type, vectors.tensorData(q), cols, ids);
            for (int t = 0; t < ids.length; t++) {
                compareRow(type, expected, ids[t] * cols, actual, t * cols, cols);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_K"})
    void randomTablesMatchScalarCodec(GgmlType type) {
        int cols = type.blockSize() == 1 ? 173 : 3 * type.blockSize();
        int rows = 11;
        SplittableRandom random = new SplittableRandom(type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            OpenClTestSupport.Encoded table = OpenClTestSupport.encode(arena, type,
                    OpenClTestSupport.randomFloats(random, rows * cols, 1f), rows, cols);
            int[] ids = {10, 0, 5, 5, 7, 1, 9};
            float[] actual = lookup(type, table.bytes(), cols, ids);
            for (int t = 0; t < ids.length; t++) {
                compareRow(type, table.values(), ids[t] * cols, actual, t * cols, cols);
            }
        }
    }

    private float[] lookup(GgmlType type, MemorySegment table, int cols, int[] ids) {
        try (DeviceBuffer tb = runtime.upload(table, "table"); DeviceBuffer idb = runtime.upload(ids, "ids");
                DeviceBuffer out = runtime.allocate((ids.length + 1L) * cols * 4, "out")) {
            ops.getRows(type, tb.all(), cols, idb, ids.length, out.all().slice(cols * 4L, ids.length * cols * 4L));
            float[] all = out.readFloats();
            float[] rows = new float[ids.length * cols];
            System.arraycopy(all, cols, rows, 0, rows.length);
            return rows;
        }
    }

    /**
     * Values must equal the reference up to one rounding of the largest intermediate product: a device may fuse
     * {@code d * q - m} into one multiply-add where ggml rounds twice.
     */
    private static void compareRow(GgmlType type, float[] expected, int eo, float[] actual, int ao, int n) {
        float maxAbs = 0;
        for (int i = 0; i < n; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[eo + i]));
        }
        double tol = type.blockSize() == 1 ? 0 : 1e-6 * Math.max(1, maxAbs);
        for (int i = 0; i < n; i++) {
            if (!(Math.abs(actual[ao + i] - expected[eo + i]) <= tol)) {
                fail(type + " value " + i + ": expected " + expected[eo + i] + ", got " + actual[ao + i]);
            }
        }
    }
}
