package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.MatMul;

/**
 * {@link CpuBackend#matmulMany} gives exactly what each {@code matmul} gives on its own, whichever of its weights
 * share one operation: runs of packed weights of one type, a weight of another type between them, a weight too small
 * to pack and one that is never packed (F32), for one token, a short batch and a batch past the packed kernels.
 */
class MatmulManyTest {
    private static final int COLS = 512;
    private final CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 3);
    private final Arena arena = Arena.ofShared();
    private final Random rnd = new Random(11);

    @AfterEach
    void close() {
        backend.close();
        arena.close();
    }

    @ParameterizedTest(name = "{0} tokens")
    @ValueSource(ints = {1, 3, MatMul.PACKED_MAX_TOKENS + 1, MatMul.K_QUANT_PACKED_MAX_TOKENS + 1})
    void eachOutputIsThatWeightsOwnProduct(int tokens) {
        Tensor[] weights = {
            weight(GgmlType.Q4_0, 48), weight(GgmlType.Q4_0, 17), weight(GgmlType.Q4_0, 33), // one operation
            weight(GgmlType.Q6_K, 40), // another type: a product of its own
            weight(GgmlType.Q4_0, 64), weight(GgmlType.Q4_0, 5), // 5 rows: less than a group, never packed
            weight(GgmlType.F32, 9), weight(GgmlType.Q8_0, 16), weight(GgmlType.Q8_0, 32)};
        float[] input = new float[tokens * COLS];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) rnd.nextGaussian();
        }
        Tensor x = backend.allocate("x", COLS, tokens);
        backend.write(x, input, 0);
        Tensor[] outs = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            outs[i] = backend.allocate("out" + i, weights[i].rows(), tokens);
        }
        backend.matmulMany(weights, x, outs);
        for (int i = 0; i < weights.length; i++) {
            float[] together = new float[weights[i].rows() * tokens];
            backend.read(outs[i], together, 0);
            Tensor alone = backend.allocate("alone" + i, weights[i].rows(), tokens);
            backend.matmul(weights[i], x, alone);
            float[] expected = new float[together.length];
            backend.read(alone, expected, 0);
            assertArrayEquals(expected, together, "weight " + i + " (" + weights[i].type().ggmlName() + ", "
                    + weights[i].rows() + " rows), " + tokens + " tokens");
        }
    }

    @ParameterizedTest(name = "{0} outputs")
    @ValueSource(ints = {0, 1})
    void weightsAndOutputsMustPair(int outputs) {
        Tensor x = backend.allocate("x", COLS, 1);
        Tensor[] weights = outputs == 0 ? new Tensor[0] : new Tensor[] {weight(GgmlType.Q4_0, 16),
                weight(GgmlType.Q4_0, 16)};
        Tensor[] outs = new Tensor[outputs];
        for (int i = 0; i < outputs; i++) {
            outs[i] = backend.allocate("out", 16, 1);
        }
        assertThrows(IllegalArgumentException.class, () -> backend.matmulMany(weights, x, outs));
    }

    private Tensor weight(GgmlType type, int rows) {
        float[] values = new float[rows * COLS];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        long rowBytes = type.byteSize(COLS);
        MemorySegment data = arena.allocate(rowBytes * rows);
        for (int r = 0; r < rows; r++) {
            QuantFormats.of(type).quantize(values, r * COLS, data, r * rowBytes, COLS);
        }
        return backend.weight(type.ggmlName() + " " + rows, type, COLS, rows, data);
    }
}
