package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.quant.GgmlType;

/** The tiled product's dequantizers give exactly the scalar references' floats, at every vector width. */
class FastDequantTest {

    static Stream<Arguments> typesAndWidths() {
        return Stream.of("Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K", "F16").flatMap(t -> Stream.of(
                VectorShape.S_512_BIT, VectorShape.S_256_BIT, VectorShape.S_128_BIT)
                .map(shape -> Arguments.of(GgmlType.valueOf(t), shape)));
    }

    @ParameterizedTest
    @MethodSource("typesAndWidths")
    void identicalToReference(GgmlType type, VectorShape shape) {
        int n = 256 * 6;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = Weights.random(arena, type, 1, n, 5, new SplittableRandom(type.ordinal()));
            float[] ref = Weights.dequantize(type, w, 5, 1, n);
            float[] ours = new float[n + 3];
            FastDequant.dequantize(Lanes.of(shape), type, w, 5, ours, 3, n);
            float[] shifted = new float[n];
            System.arraycopy(ours, 3, shifted, 0, n);
            assertArrayEquals(ref, shifted, type + " at " + shape);
        }
    }
}
