package org.ristretto.opencl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.FallbackBackend;
import org.ristretto.core.backend.Op;
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
import org.ristretto.opencl.model.RestrictedBackend.Missing;

/**
 * stories260K through {@link FallbackBackend} over a primary that lacks some kernels: the OpenCL backend when a
 * device is present (PoCL here), else a second CPU backend, restricted by {@link RestrictedBackend}. The greedy ids
 * must equal the plain CPU run's and, with an F32 cache, {@code reference/stories260K-greedy.json}; the fallbacks
 * reported must be exactly the restricted pairs; decoding must allocate no host scratch after the first tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FallbackBackendTest {
    private static final int STEPS = 64;
    private JsonNode reference;

    @BeforeAll
    void readReference() throws IOException {
        reference = new ObjectMapper().readTree(SharedModels.require("reference/stories260K-greedy.json").toFile())
                .get("variants");
    }

    @Test
    void q8_0WeightsWithoutDeviceKernelsStayOnTheHost() throws IOException {
        check("q8_0", GgmlType.F32, Set.of(new Missing(Op.MATMUL, GgmlType.Q8_0),
                new Missing(Op.MATMUL_SWIGLU, GgmlType.Q8_0), new Missing(Op.GET_ROWS, GgmlType.Q8_0),
                new Missing(Op.ROPE, GgmlType.F32), new Missing(Op.ARGMAX, GgmlType.F32)),
                List.of("matmul q8_0 (token_embd.weight)", "get_rows q8_0 (token_embd.weight)",
                        "rope f32 (act.q)", "matmul_swiglu q8_0 (blk.0.ffn_gate.weight)", "argmax f32 (act.logits)"));
    }

    @Test
    void f32OperationsWithoutDeviceKernelsRunOnTheCpu() throws IOException {
        check("f32", GgmlType.F32, Set.of(new Missing(Op.GET_ROWS, GgmlType.F32),
                new Missing(Op.RMS_NORM, GgmlType.F32), new Missing(Op.ADD, GgmlType.F32)),
                List.of("get_rows f32 (token_embd.weight)", "rms_norm f32 (blk.0.attn_norm.weight)",
                        "add f32 (act.proj)"));
    }

    @Test
    void anF16CacheWithoutDeviceAttentionLivesOnTheCpu() throws IOException {
        check("f32", GgmlType.F16, Set.of(new Missing(Op.STORE_KV, GgmlType.F16),
                new Missing(Op.ATTENTION, GgmlType.F16)),
                List.of("store_kv f16 (kv cache)", "attention f16 (kv cache)"));
    }

    private void check(String variant, GgmlType kv, Set<Missing> missing, List<String> expectedFallbacks)
            throws IOException {
        String path = "gguf/stories260K-" + variant + ".gguf";
        JsonNode ref = reference.get(path);
        try (GgufFile file = GgufFile.open(SharedModels.require(path));
                Backend cpu = new CpuBackendProvider().open(new BackendOptions(0, 2));
                FallbackBackend wrapped = new FallbackBackend(new RestrictedBackend(realPrimary(), missing),
                        new CpuBackendProvider().open(new BackendOptions(0, 2)))) {
            int[] plain = greedy(file, cpu, kv, null);
            int[] throughFallback = greedy(file, wrapped, kv, wrapped);
            assertArrayEquals(plain, throughFallback, variant + " with a " + kv.ggmlName() + " cache: fallback vs cpu");
            if (kv == GgmlType.F32) {
                int[] expected = new int[STEPS];
                for (int i = 0; i < STEPS; i++) {
                    expected[i] = ref.get("ids").get(i).asInt();
                }
                assertArrayEquals(expected, throughFallback, variant + ": fallback vs stories260K-greedy.json");
            }
            assertEquals(expectedFallbacks, wrapped.fallbacks());
            assertPrefillMatches(file, cpu, wrapped, kv);
        }
    }

    /** The OpenCL backend on its preferred device, or a CPU backend where there is none. */
    private static Backend realPrimary() {
        OpenClBackendProvider opencl = new OpenClBackendProvider();
        Probe probe = opencl.probe();
        return probe.available() ? opencl.open(new BackendOptions(probe.preferredDevice().index(), 1))
                : new CpuBackendProvider().open(new BackendOptions(0, 1));
    }

    /**
     * Greedy decoding from BOS, one token at a time; with {@code counted}, also checks that no host scratch is
     * allocated after the first two tokens.
     */
    private static int[] greedy(GgufFile file, Backend backend, GgmlType kv, FallbackBackend counted) {
        try (ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), backend);
                Transformer model = new Transformer(weights, TransformerOptions.defaults().withKvCacheType(kv))) {
            int[] ids = new int[STEPS];
            int token = 1;
            int allocationsAfterWarmUp = -1;
            for (int pos = 0; pos < STEPS; pos++) {
                token = model.forwardGreedy(new int[] {token}, pos);
                ids[pos] = token;
                if (pos == 1 && counted != null) {
                    allocationsAfterWarmUp = counted.scratchAllocations();
                }
            }
            if (counted != null) {
                assertEquals(allocationsAfterWarmUp, counted.scratchAllocations(),
                        "host scratch allocations while decoding tokens 2.." + (STEPS - 1));
            }
            return ids;
        }
    }

    /** A 9-token batch (views of the activation buffers, every row's logits) agrees with the plain CPU run. */
    private static void assertPrefillMatches(GgufFile file, Backend cpu, Backend wrapped, GgmlType kv) {
        int[] prompt = {1, 403, 407, 261, 378, 378, 270, 262, 400};
        TransformerOptions options = TransformerOptions.defaults().withKvCacheType(kv);
        float[] want;
        try (ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), cpu);
                Transformer model = new Transformer(weights, options)) {
            want = model.forward(prompt, 0, true);
        }
        try (ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), wrapped);
                Transformer model = new Transformer(weights, options)) {
            float[] got = model.forward(prompt, 0, true);
            assertEquals(want.length, got.length);
            int vocab = want.length / prompt.length;
            for (int t = 0; t < prompt.length; t++) {
                double largest = 0;
                for (int i = t * vocab; i < (t + 1) * vocab; i++) {
                    largest = Math.max(largest, Math.abs(want[i]));
                }
                // The device's and the CPU's float sums differ in their last bits; an f16 cache then rounds a K or V
                // value either way, one f16 step (2^-11 relative), and such steps add up over the layers and the
                // positions before to about one step of the token's largest logit (seen: up to 8.9e-3 with logits up
                // to 18.9 when the CPU's attention ran before the JIT compiled it and summed in another order), so
                // two such steps are allowed. A wrong operation moves logits by tenths; the greedy tokens above are compared exactly.
                double tolerance = kv == GgmlType.F16 ? 0x1p-10 * largest : 1e-3;
                for (int i = t * vocab; i < (t + 1) * vocab; i++) {
                    assertEquals(want[i], got[i], tolerance, "logit " + (i - t * vocab) + " of prompt token " + t);
                }
            }
        }
    }
}
