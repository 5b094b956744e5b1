package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.synth.LlamaFileType;
import org.ristretto.core.synth.SynthPreset;
import org.ristretto.core.synth.SyntheticModelWriter;
import org.ristretto.core.testutil.SharedModels;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;
import org.ristretto.cpu.kernel.MatMul;

/**
 * A decoding step through the packed kernels (Q4_0, Q5_1 and Q2_K to Q6_K weights, one token) gives the logits that the
 * same token gives at the end of a batch through the file-layout kernels.
 *
 * <p>For each position the cache is filled by a batch of the tokens before it, then the token is decoded alone. Both
 * paths quantize the token's activations to Q8 blocks and sum the integer products exactly; they differ in the order
 * of the float sums, which moves logits by about 1e-7 of their size. Where that moves an activation across a rounding
 * boundary of its Q8 block, one quant changes by one and the logits of that position (and, through the cache, of the
 * positions of the same batch after it) by about a quantum's product. That happens even between two runs of the same
 * batch, when the JIT had compiled the attention or a kernel in between (the Vector API's {@code EXP} gave other bits
 * compiled than interpreted, which {@code FastExp} has since removed): measured up to 2.3% of the largest logit, on
 * up to five of twelve positions. So
 * half the positions must agree to 1e-5 and all to 10% of the largest logit; a packing error (a wrong row, nibble,
 * scale or sub-block) moves every position's logits by their own size (measured: 80–120% for a swapped nibble).
 */
class PackedDecodeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"q4_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m"})
    void oneTokenAtATimeMatchesTheBatch(String fileType) throws IOException {
        int[] ids = {1, 300, 301, 17, 250, 9, 402, 33, 77, 5, 120, 260};
        Differences d = compareWithBatch(fileType, false, ids);
        assertTrue(Arrays.stream(d.byPosition).filter(x -> x <= 1e-5 * d.largest).count() >= ids.length / 2,
                fileType + ": fewer than half the positions agree to float rounding: " + d);
        assertTrue(Arrays.stream(d.byPosition).allMatch(x -> x <= 0.1 * d.largest),
                fileType + ": a position differs by more than flipped quants explain: " + d);
    }

    /**
     * A batch of more than {@link MatMul#PACKED_MAX_TOKENS} tokens takes the tiled product, which for Q4_0 multiplies
     * in 16-bit integers against Q8_0 activations ({@code TiledQ4_0}), the same quants the one-token kernels use, and
     * sums each block exactly. So the first position, whose attention sees only itself, agrees to float rounding;
     * later ones may differ once a flipped quant (see above) enters the cache, and then do for the rest of the batch
     * (measured: exact to position 6, about 1% of the largest logit after), never by a kernel error's size. The file
     * is pure Q4_0: with the recipe's Q6_K embedding (the tied output) the batch's logits would come from float
     * activations and the one-token ones from Q8_K, about 1% apart everywhere.
     */
    @Test
    void oneTokenAtATimeMatchesATiledQ4_0Batch() throws IOException {
        int[] ids = new int[MatMul.PACKED_MAX_TOKENS + 10];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = 3 + (i * 97) % 500;
        }
        Differences d = compareWithBatch("q4_0", true, ids);
        assertTrue(d.byPosition[0] <= 1e-5 * d.largest, "q4_0: position 0 differs beyond float rounding: " + d);
        assertTrue(Arrays.stream(d.byPosition).allMatch(x -> x <= 0.1 * d.largest),
                "q4_0: a position differs by more than flipped quants explain: " + d);
    }

    /** The largest difference of each position's logits, batch against one token at a time, and the largest logit. */
    private record Differences(double[] byPosition, double largest) {
        @Override
        public String toString() {
            return Arrays.toString(byPosition) + " (largest logit " + largest + ")";
        }
    }

    private Differences compareWithBatch(String fileType, boolean pure, int[] ids) throws IOException {
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        Path file = dir.resolve("tiny-" + fileType + ".gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            SyntheticModelWriter.write(new SyntheticModelWriter.Options(SynthPreset.TINY_LLAMA,
                    LlamaFileType.fromCliName(fileType), 5, 2, pure), v, file, null);
        }
        try (CpuBackend backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
             GgufFile gguf = GgufFile.open(file);
             ModelWeights weights = ModelWeights.load(gguf, ModelConfig.read(gguf), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults()
                     .withKvCacheType(GgmlType.F32))) {
            int vocabSize = weights.config().vocabSize();
            float[] batch = model.forward(ids, 0, true);
            // Two one-token steps first, whose cache rows the loop overwrites: Q8_0 and Q4_0 weights are packed at
            // their second one-token product, so that every single token below runs the packed kernels.
            model.forward(new int[] {ids[0]}, 0, false);
            model.forward(new int[] {ids[0]}, 0, false);
            double largest = 0;
            double[] differences = new double[ids.length];
            for (int pos = 0; pos < ids.length; pos++) {
                if (pos > 0) {
                    model.forward(Arrays.copyOf(ids, pos), 0, false);
                }
                float[] single = model.forward(new int[] {ids[pos]}, pos, false);
                for (int i = 0; i < vocabSize; i++) {
                    largest = Math.max(largest, Math.abs(batch[pos * vocabSize + i]));
                    differences[pos] = Math.max(differences[pos], Math.abs(single[i] - batch[pos * vocabSize + i]));
                }
            }
            assertTrue(largest > 0.1, fileType + ": logits too small to compare (" + largest + ")");
            return new Differences(differences, largest);
        }
    }
}
