package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;

/**
 * The real forward pass (ModelConfig from the written metadata, ModelWeights, Transformer on the CPU backend) against
 * the scalar {@link ReferenceTransformer} on small random models of every supported feature. The reference
 * accumulates in double and uses exact RoPE angles; the real path differs by float rounding only (F32 KV cache), so
 * logits agree within 1e-4 of the largest logit at each position: every position of the sequence as one batch, in
 * batches of 5, and token by token.
 */
class ForwardPassTest {
    private static CpuBackend backend;
    @TempDir
    static Path dir;

    @BeforeAll
    static void open() {
        backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    static Stream<Arguments> models() {
        GgmlType f32 = GgmlType.F32;
        return Stream.of(
                Arguments.of("llama GQA", new TinyModel("llama", 64, 2, 4, 2, 16, 96, 101, 64, 10000f, 0, null, 0f,
                        0, false, false, f32, 1)),
                Arguments.of("llama tied output, MQA, f16 weights", new TinyModel("llama", 64, 2, 4, 1, 16, 96, 101,
                        64, 10000f, 0, null, 0f, 0, true, false, GgmlType.F16, 2)),
                Arguments.of("llama 3 rope_freqs", new TinyModel("llama", 64, 2, 8, 2, 8, 80, 77, 64, 500000f, 0,
                        null, 0f, 0, false, true, f32, 3)),
                Arguments.of("llama linear scaling", new TinyModel("llama", 64, 2, 4, 2, 16, 96, 101, 64, 10000f, 0,
                        "linear", 4f, 0, false, false, f32, 4)),
                Arguments.of("llama YaRN", new TinyModel("llama", 64, 2, 4, 2, 16, 96, 101, 64, 10000f, 0, "yarn",
                        4f, 16, true, false, f32, 5)),
                Arguments.of("qwen2 biases", new TinyModel("qwen2", 64, 2, 4, 2, 16, 96, 101, 64, 1e6f, 0, null, 0f,
                        0, false, false, f32, 6)),
                Arguments.of("qwen2 partial rope + YaRN", new TinyModel("qwen2", 64, 2, 4, 2, 16, 96, 101, 64,
                        10000f, 8, "yarn", 2f, 24, true, false, f32, 7)),
                Arguments.of("qwen3 norms, head_dim 32 != 64/4", new TinyModel("qwen3", 64, 2, 4, 2, 32, 96, 101, 64,
                        1e6f, 0, null, 0f, 0, false, false, f32, 8)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void agreesWithTheScalarReference(String name, TinyModel spec) throws IOException {
        Path file = dir.resolve(name.replaceAll("[^a-z0-9]+", "_") + ".gguf");
        Map<String, GgmlType> types = new HashMap<>();
        Map<String, float[]> stored = spec.write(file, types);
        int[] tokens = new Random(spec.seed()).ints(23, 0, spec.vocab()).toArray();
        double[][] want = new ReferenceTransformer(spec.hyper(), stored, types).forward(tokens);
        int vocab = spec.vocab();

        try (GgufFile gguf = GgufFile.open(file);
             ModelWeights weights = ModelWeights.load(gguf, ModelConfig.read(gguf), backend)) {
            TransformerOptions f32Cache = TransformerOptions.defaults().withKvCacheType(GgmlType.F32);
            try (Transformer model = new Transformer(weights, f32Cache)) {
                float[] all = model.forward(tokens, 0, true);
                for (int pos = 0; pos < tokens.length; pos++) {
                    assertRow(want[pos], all, pos * vocab, name + " one batch, position " + pos);
                }
                for (int pos = 0; pos < tokens.length; pos++) {
                    float[] one = model.forward(new int[] {tokens[pos]}, pos, false);
                    assertRow(want[pos], one, 0, name + " token by token, position " + pos);
                }
                int greedy = model.forwardGreedy(new int[] {tokens[tokens.length - 1]}, tokens.length - 1);
                assertEquals(argmax(want[tokens.length - 1]), greedy, name + " greedy");
            }
            try (Transformer model = new Transformer(weights, f32Cache.withBatchSize(5))) {
                float[] all = model.forward(tokens, 0, true);
                for (int pos = 0; pos < tokens.length; pos++) {
                    assertRow(want[pos], all, pos * vocab, name + " batches of 5, position " + pos);
                }
                float[] last = model.forward(tokens, 0, false);
                assertRow(want[tokens.length - 1], last, 0, name + " batches of 5, last logits");
            }
        }
    }

    static void assertRow(double[] want, float[] got, int at, String what) {
        double max = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[at + i]));
        }
        assertTrue(worst <= 1e-4 * max, what + ": max difference " + worst + " exceeds 1e-4 x " + max);
    }

    static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
