package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;

/**
 * The three architectures against llama.cpp's own logits (reference/arch-logits.json: every position of 12 ids),
 * with the sequence processed as one batch and token by token.
 *
 * <p>llama.cpp made those logits with flash attention on, and its flash-attention path casts an F32 KV cache to F16
 * (llama-graph.cpp) and sums the weighted values in an F16 accumulator (ggml-cpu): its numbers carry F16 rounding
 * that an F32 implementation does not have (up to 0.018 on llama-tiny, more than the 5e-3 the brief hoped for). The
 * tolerance is therefore derived, per file, by the scalar {@link ReferenceTransformer}: {@code D} is the largest logit
 * change that llama.cpp's roundings cause on this model and these ids (the reference run exactly, and run with them).
 * Two assertions per file: (a) the reference with llama.cpp's roundings reproduces llama.cpp's logits within 5e-3,
 * so the roundings are the explanation; (b) Ristretto matches llama.cpp within {@code D + 5e-3}.
 *
 * <p>The Q8_0 file adds llama.cpp's rounding of activations to Q8_0 blocks before every quantized product (Ristretto's
 * integer kernels round them too). Once inputs are rounded, an input within an ulp of a rounding boundary moves by a
 * whole quantum, so any two implementations that sum in different orders differ at the level of the rounding's own
 * effect. That effect is measured: {@code D} = the largest logit change that rounding causes in the reference on this
 * model and these ids (the exact run against its rounded runs, with exact and with F16 attention; about 0.2). (a) The
 * mechanism: at position 0, the reference with llama.cpp's roundings reproduces llama.cpp within 1e-4. (b) Ristretto
 * is within {@code 2D} of the exact reference (its own rounding effect is another draw of the same size; twice the
 * measured one leaves room) and within {@code 2D + 5e-3} of llama.cpp (each is within its rounding effect of the exact
 * model). A wrong scale, block or layout moves logits by their own size (5 to 15), far beyond 0.44.
 */
class ArchLogitsTest {
    private static JsonNode reference;
    private static CpuBackend backend;

    @BeforeAll
    static void load() throws IOException {
        reference = new ObjectMapper().readTree(SharedModels.require("reference/arch-logits.json").toFile());
        backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny.gguf", "qwen2-tiny.gguf", "qwen3-tiny.gguf"})
    void f32ModelsMatchLlamaCpp(String name) throws IOException {
        int[] ids = Stories260KTest.ids(reference.get("ids"));
        double[][] llama = llamaLogits(name, ids.length);
        double[][] exact;
        double[][] likeLlamaCpp;
        try (GgufFile file = GgufFile.open(SharedModels.require("arch/" + name))) {
            Map<String, GgmlType> types = new HashMap<>();
            Map<String, float[]> weights = ReferenceTransformer.readAll(file, types);
            ReferenceTransformer.Hyper hyper = hyperOf(file.metadata());
            exact = new ReferenceTransformer(hyper, weights, types).forward(ids);
            likeLlamaCpp = new ReferenceTransformer(hyper, weights, types, false, true).forward(ids);
        }
        double explained = maxDiff(likeLlamaCpp, llama);
        assertTrue(explained <= 5e-3, name + ": the reference with llama.cpp's F16 attention differs from llama.cpp "
                + "by " + explained);
        double d = maxDiff(exact, likeLlamaCpp);
        double worst = maxDifferenceToLlamaCpp(name);
        assertTrue(worst <= d + 5e-3, name + ": max difference " + worst + " exceeds D + 5e-3 with D = " + d);
    }

    @Test
    void q8ModelMatchesLlamaCppWithinActivationRounding() throws IOException {
        String name = "qwen3-tiny-q8_0.gguf";
        int[] ids = Stories260KTest.ids(reference.get("ids"));
        double[][] llama = llamaLogits(name, ids.length);
        double[][] exact;
        double[][] rounded;
        double[][] roundedHalfAttention;
        double[][] likeLlamaCpp;
        try (GgufFile file = GgufFile.open(SharedModels.require("arch/" + name))) {
            Map<String, GgmlType> types = new HashMap<>();
            Map<String, float[]> weights = ReferenceTransformer.readAll(file, types);
            ReferenceTransformer.Hyper hyper = hyperOf(file.metadata());
            exact = new ReferenceTransformer(hyper, weights, types).forward(ids);
            rounded = new ReferenceTransformer(hyper, weights, types, true, false).forward(ids);
            roundedHalfAttention = new ReferenceTransformer(hyper, weights, types, true, true).forward(ids);
            likeLlamaCpp = new ReferenceTransformer(hyper, weights, types, true, true).forward(new int[] {ids[0]});
        }
        double mechanism = maxDiff(likeLlamaCpp, new double[][] {llama[0]});
        assertTrue(mechanism <= 1e-4, "at position 0 the reference with llama.cpp's roundings differs from llama.cpp"
                + " by " + mechanism);
        double d = Math.max(maxDiff(exact, rounded), maxDiff(exact, roundedHalfAttention));
        double toExact = maxDifferenceTo(name, exact);
        assertTrue(toExact <= 2 * d, name + ": max difference to the exact reference " + toExact + " exceeds 2D with D = "
                + d);
        double worst = maxDifferenceToLlamaCpp(name);
        assertTrue(worst <= 2 * d + 5e-3, name + ": max difference to llama.cpp " + worst + " exceeds 2D + 5e-3 with D = "
                + d);
    }

    /** Runs the file as one batch and token by token; returns the largest difference to llama.cpp. */
    private static double maxDifferenceToLlamaCpp(String name) throws IOException {
        return maxDifferenceTo(name, llamaLogits(name, reference.get("ids").size()));
    }

    /** Runs the file as one batch and token by token; returns the largest difference to {@code want}. */
    private static double maxDifferenceTo(String name, double[][] want) throws IOException {
        int[] ids = Stories260KTest.ids(reference.get("ids"));
        double worst = 0;
        try (GgufFile file = GgufFile.open(SharedModels.require("arch/" + name));
             ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults()
                     .withKvCacheType(GgmlType.F32))) {
            int vocab = weights.config().vocabSize();
            float[] batch = model.forward(ids, 0, true);
            for (int pos = 0; pos < ids.length; pos++) {
                float[] single = model.forward(new int[] {ids[pos]}, pos, false);
                for (int i = 0; i < vocab; i++) {
                    worst = Math.max(worst, Math.abs(want[pos][i] - batch[pos * vocab + i]));
                    worst = Math.max(worst, Math.abs(want[pos][i] - single[i]));
                }
            }
        }
        return worst;
    }

    private static double[][] llamaLogits(String name, int positions) {
        JsonNode rows = reference.get("models").get(name);
        double[][] r = new double[positions][];
        for (int p = 0; p < positions; p++) {
            JsonNode row = rows.get(p);
            r[p] = new double[row.size()];
            for (int i = 0; i < r[p].length; i++) {
                r[p][i] = row.get(i).asDouble();
            }
        }
        return r;
    }

    /** The reference's hyperparameters, read straight from the metadata (no scaling in these files). */
    static ReferenceTransformer.Hyper hyperOf(GgufMetadata md) {
        String a = md.getString("general.architecture");
        String p = a + ".";
        int embd = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
        int headDim = md.getInt(p + "attention.key_length", embd / heads);
        return new ReferenceTransformer.Hyper(embd, md.getInt(p + "block_count"), heads,
                md.getInt(p + "attention.head_count_kv"), headDim, md.getInt(p + "feed_forward_length"),
                md.getStringArray("tokenizer.ggml.tokens").length, md.getFloat(p + "attention.layer_norm_rms_epsilon"),
                !a.equals("llama"), md.getInt(p + "rope.dimension_count", headDim),
                md.getFloat(p + "rope.freq_base", 10000f), 1, false, 0);
    }

    private static double maxDiff(double[][] a, double[][] b) {
        double m = 0;
        for (int p = 0; p < a.length; p++) {
            for (int i = 0; i < a[p].length; i++) {
                m = Math.max(m, Math.abs(a[p][i] - b[p][i]));
            }
        }
        return m;
    }
}
