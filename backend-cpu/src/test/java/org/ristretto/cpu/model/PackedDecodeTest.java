package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
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
 * A decoding step through the packed kernels (Q4_0, Q4_K, Q6_K weights, one token) gives the logits that the same
 * token gives at the end of a batch through the file-layout kernels.
 *
 * <p>For each position the cache is filled by a batch of the tokens before it, then the token is decoded alone, so
 * every step starts from the state the batch had. Both paths quantize the token's activations to Q8 blocks and sum
 * the integer products exactly; they differ in the order of the float sums (per-block scaling, lane sums), which
 * moves logits by about 1e-7 of their size. Where that moves an activation across a rounding boundary of its Q8
 * block, one quant changes by one and that position's logits by about a quantum's product (measured: one position of
 * twelve in the Q4_0 file, by 4e-3 of the largest logit). So at most two positions may differ by more than 1e-5, and
 * none by more than 2e-2, of the largest logit; a packing error (a wrong row, nibble, scale or sub-block) moves every
 * position's logits by their own size.
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
            double bound = largest;
            String all = Arrays.toString(differences);
            assertTrue(Arrays.stream(differences).filter(d -> d > 1e-5 * bound).count() <= 2, fileType
                    + ": more than two positions differ beyond float rounding: " + all + " (largest logit " + largest
                    + ")");
            assertTrue(Arrays.stream(differences).allMatch(d -> d <= 2e-2 * bound), fileType
                    + ": a position differs by more than a flipped quant: " + all + " (largest logit " + largest
                    + ")");
        }
    }
}
