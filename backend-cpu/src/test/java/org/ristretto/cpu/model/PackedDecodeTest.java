package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
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

/**
 * Decoding through the packed kernels (Q4_0, Q4_K, Q6_K weights, one token at a time) gives the logits that the same
 * tokens give as one batch through the file-layout kernels.
 *
 * <p>Both paths quantize each token's activations to Q8 blocks and sum the integer products exactly; they differ in
 * the order of the float sums (per-block scaling, lane sums, attention over the cache), which moves a position's
 * logits by about 1e-7 of their size. Where that moves an activation across a rounding boundary of its Q8 block, one
 * quant changes by one and the logits of that position by about a quantum's product (measured: one position of
 * twelve in the Q4_0 file, by 4e-3 of the largest logit). So most positions must agree to 1e-5 and every one to
 * 1e-2 of the largest logit; a packing error (a wrong row, nibble, scale or sub-block) moves every position's logits
 * by their own size.
 */
class PackedDecodeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"q4_0", "q4_k_m"})
    void oneTokenAtATimeMatchesTheBatch(String fileType) throws IOException {
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        Path file = dir.resolve("tiny-" + fileType + ".gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            SyntheticModelWriter.write(new SyntheticModelWriter.Options(SynthPreset.TINY_LLAMA,
                    LlamaFileType.fromCliName(fileType), 5, 2, false), v, file, null);
        }
        int[] ids = {1, 300, 301, 17, 250, 9, 402, 33, 77, 5, 120, 260};
        try (CpuBackend backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
             GgufFile gguf = GgufFile.open(file);
             ModelWeights weights = ModelWeights.load(gguf, ModelConfig.read(gguf), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults()
                     .withKvCacheType(GgmlType.F32))) {
            int vocabSize = weights.config().vocabSize();
            float[] batch = model.forward(ids, 0, true);
            double largest = 0;
            double worst = 0;
            double[] differences = new double[ids.length];
            for (int pos = 0; pos < ids.length; pos++) {
                float[] single = model.forward(new int[] {ids[pos]}, pos, false);
                double position = 0;
                for (int i = 0; i < vocabSize; i++) {
                    largest = Math.max(largest, Math.abs(batch[pos * vocabSize + i]));
                    position = Math.max(position, Math.abs(single[i] - batch[pos * vocabSize + i]));
                }
                differences[pos] = position;
                worst = Math.max(worst, position);
            }
            assertTrue(largest > 0.1, fileType + ": logits too small to compare (" + largest + ")");
            double[] sorted = differences.clone();
            java.util.Arrays.sort(sorted);
            String all = java.util.Arrays.toString(differences);
            assertTrue(sorted[ids.length / 2] <= 1e-5 * largest, fileType + ": most positions should agree to float "
                    + "rounding; differences per position " + all + " (largest logit " + largest + ")");
            assertTrue(worst <= 1e-2 * largest, fileType + ": a position differs by more than a few flipped quants; "
                    + "differences per position " + all + " (largest logit " + largest + ")");
        }
    }
}
