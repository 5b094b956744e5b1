package org.ristretto.opencl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
 * The small llama, qwen2 and qwen3 models of {@code ../shared/models/arch} on OpenCL, one batch of 12 ids (the prefill
 * path: several tokens per matmul and attention call), with NeoX RoPE, Q/K/V biases, per-head Q/K norms and an
 * untied output matrix. Logits at every position must match the CPU backend's closely, and llama.cpp's
 * ({@code reference/arch-logits.json}) within the stated share of the largest logit; the same ids decoded one token
 * at a time must give the batch's logits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClArchLogitsTest {
    private JsonNode reference;
    private Backend opencl;
    private Backend cpu;

    @BeforeAll
    void open() throws IOException {
        reference = new ObjectMapper().readTree(SharedModels.require("reference/arch-logits.json").toFile());
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

    /**
     * @param cpuShare      allowed difference from the CPU backend as a share of the largest |logit|: for Q8_0
     *                      weights the CPU backend (like llama.cpp) quantizes activations to Q8_0, OpenCL keeps F32
     * @param llamaCppShare allowed difference from llama.cpp, likewise
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama-tiny.gguf, 1e-4, 1e-3", "qwen2-tiny.gguf, 1e-4, 1e-3", "qwen3-tiny.gguf, 1e-4, 1e-3",
        "qwen3-tiny-q8_0.gguf, 0.03, 0.03"})
    void logitsMatchCpuAndLlamaCpp(String model, double cpuShare, double llamaCppShare) throws IOException {
        int[] ids = ints(reference.get("ids"));
        JsonNode want = reference.get("models").get(model);
        try (GgufFile file = GgufFile.open(SharedModels.require("arch/" + model))) {
            float[] device = batch(file, opencl, ids, true);
            float[] host = batch(file, cpu, ids, false);
            int vocab = device.length / ids.length;
            double largest = 0;
            double fromLlamaCpp = 0;
            double fromCpu = 0;
            for (int p = 0; p < ids.length; p++) {
                for (int i = 0; i < vocab; i++) {
                    double ref = want.get(p).get(i).asDouble();
                    largest = Math.max(largest, Math.abs(ref));
                    fromLlamaCpp = Math.max(fromLlamaCpp, Math.abs(ref - device[p * vocab + i]));
                    fromCpu = Math.max(fromCpu, Math.abs(host[p * vocab + i] - device[p * vocab + i]));
                }
            }
            assertEquals(0, fromCpu, cpuShare * largest, model + ": largest logit difference from the CPU backend");
            assertEquals(0, fromLlamaCpp, llamaCppShare * largest, model + ": largest logit difference from llama.cpp");
        }
    }

    /** Logits of every position for one batch; with {@code checkDecode}, also decodes token by token and compares. */
    private static float[] batch(GgufFile file, Backend backend, int[] ids, boolean checkDecode) {
        try (ModelWeights weights = ModelWeights.load(file, ModelConfig.read(file), backend);
                Transformer t = new Transformer(weights, TransformerOptions.defaults()
                        .withKvCacheType(GgmlType.F32))) {
            float[] all = t.forward(ids, 0, true);
            if (checkDecode) {
                int vocab = t.config().vocabSize();
                for (int p = 0; p < ids.length; p++) {
                    float[] step = t.forward(new int[] {ids[p]}, p, false);
                    for (int i = 0; i < vocab; i++) {
                        assertEquals(all[p * vocab + i], step[i], 1e-4, "decode vs batch, position " + p + " logit " + i);
                    }
                }
            }
            return all;
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
