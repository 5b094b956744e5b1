package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;
import org.ristretto.core.backend.BackendOptions;

/**
 * stories260K (llama2.c's TinyStories model as GGUF) against reference/stories260K-greedy.json: the 256 greedy ids
 * that reproduce llama2.c's upstream output, and the logits at positions 0-2.
 */
class Stories260KTest {
    private static JsonNode reference;
    private static CpuBackend backend;

    @BeforeAll
    static void load() throws IOException {
        Path json = SharedModels.require("reference/stories260K-greedy.json");
        reference = new ObjectMapper().readTree(json.toFile()).get("variants");
        backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void f32GreedyIdsAndLogits() throws IOException {
        JsonNode ref = reference.get("gguf/stories260K-f32.gguf");
        try (GgufFile file = GgufFile.open(SharedModels.require("gguf/stories260K-f32.gguf"));
             ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults()
                     .withKvCacheType(GgmlType.F32))) {
            int[] expected = ids(ref.get("ids"));
            int[] got = new int[expected.length];
            int token = 1;
            for (int pos = 0; pos < expected.length; pos++) {
                if (pos < 3) {
                    float[] logits = model.forward(new int[] {token}, pos, false);
                    float[] want = floats(ref.get("logits").get(pos));
                    assertEquals(want.length, logits.length);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], logits[i], 1e-4, "logit " + i + " at position " + pos);
                    }
                }
                token = model.forwardGreedy(new int[] {token}, pos);
                got[pos] = token;
            }
            assertArrayEquals(expected, got);
        }
    }

    static int[] ids(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = n.get(i).asInt();
        }
        return r;
    }

    static float[] floats(JsonNode n) {
        float[] r = new float[n.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) n.get(i).asDouble();
        }
        return r;
    }
}
