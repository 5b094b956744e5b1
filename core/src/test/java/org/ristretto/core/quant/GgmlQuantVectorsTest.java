package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.testutil.SharedModels;

/**
 * Bit-exactness against ggml itself: {@code quant/ggml-quant-vectors.gguf} holds, for each type, ggml's reference
 * quantization of the tensor {@code src} ({@code <type>.q}) and ggml's dequantization of that ({@code <type>.deq}).
 * Our quantizers must reproduce every byte of {@code <type>.q} and our dequantizers every float bit of
 * {@code <type>.deq}.
 */
class GgmlQuantVectorsTest {
    private static final String FILE = "quant/ggml-quant-vectors.gguf";
    private static GgufFile vectors;

    @BeforeAll
    static void open() throws IOException {
        vectors = GgufFile.open(SharedModels.require(FILE));
    }

    @AfterAll
    static void close() {
        if (vectors != null) {
            vectors.close();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS"})
    void dequantizeReproducesGgmlBitForBit(GgmlType type) {
        GgufTensorInfo q = vectors.tensor(type.ggmlName() + ".q");
        assertEquals(type, q.type(), "type stored for " + q.name());
        float[] expected = floats(type.ggmlName() + ".deq");
        float[] actual = new float[expected.length];
        QuantFormats.of(type).dequantize(vectors.tensorData(q), 0, actual, 0, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(type + " value " + i + " (block " + i / type.blockSize() + "): ggml " + expected[i] + ", ours "
                        + actual[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS"})
    void quantizeReproducesGgmlByteForByte(GgmlType type) {
        float[] src = floats("src");
        MemorySegment expected = vectors.tensorData(type.ggmlName() + ".q");
        MemorySegment actual = MemorySegment.ofArray(new byte[(int) expected.byteSize()]);
        QuantFormat format = QuantFormats.of(type);
        if (type == GgmlType.IQ4_NL || type == GgmlType.IQ4_XS) {
            var e = assertThrows(UnsupportedOperationException.class,
                    () -> format.quantize(src, 0, actual, 0, src.length));
            assertTrue(e.getMessage().contains(type.ggmlName()), e.getMessage());
            return;
        }
        format.quantize(src, 0, actual, 0, src.length);
        long mismatch = expected.mismatch(actual);
        if (mismatch >= 0) {
            long block = mismatch / type.typeSize();
            fail(type + ": first differing byte " + mismatch + " (block " + block + ", byte "
                    + mismatch % type.typeSize() + " of the block): ggml "
                    + expected.get(ValueLayout.JAVA_BYTE, mismatch) + ", ours "
                    + actual.get(ValueLayout.JAVA_BYTE, mismatch));
        }
    }

    private static float[] floats(String name) {
        GgufTensorInfo t = vectors.tensor(name);
        assertEquals(GgmlType.F32, t.type(), "type of " + name);
        return vectors.tensorData(t).toArray(BlockIo.F32);
    }
}
