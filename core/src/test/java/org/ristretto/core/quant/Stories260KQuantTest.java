package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.testutil.SharedModels;

/**
 * The stories260K model quantized to Q8_0 and Q4_0 by gguf-py (llama.cpp's own numpy port of ggml's reference
 * quantizers), dequantized here and compared with the F32 original, tensor by tensor.
 *
 * <p>Error bounds, per element {@code x} of a 32-value block, with {@code d} the scale the quantizer computes in float
 * from the F32 block, {@code d16} the fp16 scale stored in the file, {@code q} the stored quant and
 * {@code u = 2^-24} the float unit roundoff:
 * <ul>
 *   <li><b>Q8_0</b>: {@code d = amax/127} and {@code q = round(x * (1/d))}, so {@code |x/d - q| <= 1/2} up to the two
 *       roundings in {@code x * fl(1/d)} (each at most {@code u} relative on a value of magnitude at most 127). The
 *       file decodes {@code q * d16}, which moves it by {@code |q| |d - d16| <= 127 |d - d16|} and one more rounding.
 *       Hence {@code |x - x^| <= d/2 + 127 |d - d16| + 3 * 127 u * max(d, d16)}.</li>
 *   <li><b>Q4_0</b>: {@code d = max/-8} (the signed value of largest magnitude lands on level -8) and
 *       {@code q = min(15, trunc(x/d + 8.5))}. Where {@code x/d < 7.5} this rounds to the nearest level, so
 *       {@code |x/d - (q - 8)| <= 1/2}; where {@code x/d >= 7.5} (values of the opposite sign to the max, within 1/16
 *       of its magnitude) the clamp to 15 leaves up to one whole step. Decoding {@code (q - 8) * d16} adds at most
 *       {@code 8 |d - d16|}. Float rounding (the product, the sum with 8.5 near 16 whose ulp is 2^-19, the decode)
 *       adds less than {@code 2^-18 * max(|d|, |d16|)}. The one-step region is taken from {@code x/d >= 7.49} so that
 *       the float rounding of {@code x/d} cannot misclassify an element.</li>
 * </ul>
 * Tensors left in F32 by the converter (norms, and {@code ffn_down} whose rows of 172 are not whole blocks) must come
 * back bit for bit.
 *
 * <p>In the other direction, quantizing the F32 model with our reference quantizers must give gguf-py's bytes exactly.
 */
class Stories260KQuantTest {
    private static final double U = 0x1p-24;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void everyTensorIsWithinItsQuantizationErrorOfTheF32Model(GgmlType type) throws IOException {
        String name = type.ggmlName();
        try (GgufFile f32 = GgufFile.open(SharedModels.require("gguf/stories260K-f32.gguf"));
                GgufFile quant = GgufFile.open(SharedModels.require("gguf/stories260K-" + name + ".gguf"))) {
            int quantized = 0;
            for (GgufTensorInfo t : quant.tensors()) {
                GgufTensorInfo ref = f32.tensor(t.name());
                assertArrayEquals(ref.dims(), t.dims(), t.name() + " shape");
                float[] expected = f32.tensorData(ref).toArray(BlockIo.F32);
                float[] actual = new float[expected.length];
                MemorySegment data = quant.tensorData(t);
                QuantFormats.of(t.type()).dequantize(data, 0, actual, 0, actual.length);
                if (t.type() == GgmlType.F32) {
                    assertArrayEquals(expected, actual, t.name() + " is F32 in both files");
                    continue;
                }
                assertEquals(type, t.type(), t.name() + " type");
                quantized++;
                for (int b = 0; b < expected.length / 32; b++) {
                    checkBlock(type, t.name(), b, expected, actual, data.asSlice((long) b * type.typeSize()));
                }
            }
            assertEquals(31, quantized, "2-D tensors quantized in " + name + " (token_embd, and 6 per layer x 5)");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void quantizingTheF32ModelReproducesTheFileByteForByte(GgmlType type) throws IOException {
        try (GgufFile f32 = GgufFile.open(SharedModels.require("gguf/stories260K-f32.gguf"));
                GgufFile quant = GgufFile.open(SharedModels.require("gguf/stories260K-" + type.ggmlName() + ".gguf"))) {
            for (GgufTensorInfo t : quant.tensors()) {
                if (t.type() != type) {
                    continue;
                }
                float[] x = f32.tensorData(t.name()).toArray(BlockIo.F32);
                MemorySegment ours = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize())]);
                QuantFormats.of(type).quantize(x, 0, ours, 0, x.length);
                long at = quant.tensorData(t).mismatch(ours);
                assertEquals(-1, at, () -> t.name() + ": first differing byte " + at + " (block "
                        + at / type.typeSize() + ")");
            }
        }
    }

    private static void checkBlock(GgmlType type, String tensor, int b, float[] x, float[] xq, MemorySegment block) {
        double d16 = BlockIo.f16(block, 0);
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[32 * b + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        for (int j = 0; j < 32; j++) {
            int i = 32 * b + j;
            double bound;
            if (type == GgmlType.Q8_0) {
                double d = amax / 127f;
                bound = d / 2 + 127 * Math.abs(d - d16) + 3 * 127 * U * Math.max(d, d16);
            } else {
                double d = max / -8f;
                double steps = d != 0 && x[i] / d >= 7.49 ? 1.0 : 0.5;
                bound = Math.abs(d) * steps + 8 * Math.abs(d - d16) + 0x1p-18 * Math.max(Math.abs(d), Math.abs(d16));
            }
            double err = Math.abs((double) x[i] - xq[i]);
            if (!(err <= bound)) {
                fail(type + " " + tensor + " value " + i + " (block " + b + "): f32 " + x[i] + ", dequantized "
                        + xq[i] + ", error " + err + " > bound " + bound);
            }
        }
    }
}
