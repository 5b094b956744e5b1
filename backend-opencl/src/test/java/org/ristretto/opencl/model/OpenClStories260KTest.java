package org.ristretto.opencl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.Probe;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;
import org.ristretto.cpu.CpuBackendProvider;
import org.ristretto.opencl.OpenClBackendProvider;

/**
 * stories260K (llama2.c's TinyStories model as GGUF) through the whole forward pass on OpenCL: 256 greedy tokens from
 * BOS, decoded one at a time with the argmax on the device, must equal the CPU backend's and the outside reference's
 * ids ({@code reference/stories260K-greedy.json}); the logits at positions 0-2 must match the reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClStories260KTest {
    private JsonNode reference;
    private Backend opencl;
    private Backend cpu;

    @BeforeAll
    void open() throws IOException {
        reference = new ObjectMapper().readTree(SharedModels.require("reference/stories260K-greedy.json").toFile())
                .get("variants");
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device: " + probe.reason());
        opencl = new OpenClBackendProvider().open(new BackendOptions(probe.preferredDevice().index(), 1));
        cpu = new CpuBackendProvider().open(new BackendOptions(0, 2));
    }

    @AfterAll
    void close() {
        if (opencl != null) {
            opencl.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "q8_0"})
    void greedyIdsMatchCpuAndReference(String variant) throws IOException {
        String path = "gguf/stories260K-" + variant + ".gguf";
        JsonNode ref = reference.get(path);
        int[] expected = ints(ref.get("ids"));
        try (GgufFile file = GgufFile.open(SharedModels.require(path))) {
            // An F16 cache only once: it exercises the same kernels for both weight types.
            GgmlType[] caches = variant.equals("f32") ? new GgmlType[] {GgmlType.F32, GgmlType.F16}
                    : new GgmlType[] {GgmlType.F32};
            for (GgmlType kv : caches) {
                // The reference logits were computed with an F32 cache; an F16 cache rounds keys and values.
                int[] onDevice = greedy(file, opencl, kv, expected.length, kv == GgmlType.F32 ? ref : null);
                int[] onCpu = greedy(file, cpu, kv, expected.length, null);
                assertArrayEquals(onCpu, onDevice, variant + " with a " + kv.ggmlName() + " KV cache: OpenCL vs CPU");
                if (kv == GgmlType.F32) {
                    assertArrayEquals(expected, onDevice, variant + ": OpenCL vs reference/stories260K-greedy.json");
                }
            }
        }
    }

    /** Greedy decoding from BOS; with {@code ref}, also checks the logits at positions 0-2 against it. */
    private static int[] greedy(GgufFile file, Backend backend, GgmlType kv, int steps, JsonNode ref) {
        try (ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), backend);
                Transformer model = new Transformer(weights, TransformerOptions.defaults().withKvCacheType(kv))) {
            int[] ids = new int[steps];
            int token = 1;
            for (int pos = 0; pos < steps; pos++) {
                if (ref != null && pos < 3) {
                    float[] logits = model.forward(new int[] {token}, pos, false);
                    JsonNode want = ref.get("logits").get(pos);
                    assertEquals(want.size(), logits.length);
                    for (int i = 0; i < logits.length; i++) {
                        assertEquals(want.get(i).asDouble(), logits[i], 1e-4, "logit " + i + " at position " + pos);
                    }
                }
                token = model.forwardGreedy(new int[] {token}, pos);
                ids[pos] = token;
            }
            return ids;
        }
    }

    private static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = n.get(i).asInt();
        }
        return r;
    }
}
