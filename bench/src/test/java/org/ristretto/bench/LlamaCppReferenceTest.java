package org.ristretto.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.ristretto.core.quant.GgmlType;

/**
 * The FFM binding against outside references: llama2.c's greedy output for stories260K, and the logits a later
 * llama.cpp build computed for three small architectures (shared/models/reference).
 */
class LlamaCppReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LlamaCppContext.Options f32Cache(int ctx) {
        return new LlamaCppContext.Options(ctx, 512, 512, 1, false, GgmlType.F32);
    }

    @Test
    void greedyStories260kMatchesLlama2cReference() throws IOException {
        Path model = TestData.shared("gguf/stories260K-f32.gguf");
        JsonNode ref = JSON.readTree(TestData.shared("reference/stories260K-greedy.json").toFile())
                .get("variants").get("gguf/stories260K-f32.gguf");
        int[] expected = StreamSupport.stream(ref.get("ids").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
        TestData.assumeLlamaCpp();
        try (LlamaCppModel m = LlamaCppModel.open(model);
             LlamaCppContext ctx = m.newContext(f32Cache(expected.length + 1))) {
            assertEquals(512, m.vocabSize());
            assertEquals(1, m.bos());
            LlamaCppReference.Greedy g = LlamaCppReference.generate(ctx, new int[] {1}, expected.length, false, 0);
            assertArrayEquals(expected, g.ids());
            assertEquals(ref.get("text").asText().strip(), LlamaCppReference.text(m, g.ids()).strip());
        }
    }

    @Test
    void logitsOfEveryPositionMatchArchReference() throws IOException {
        JsonNode ref = JSON.readTree(TestData.shared("reference/arch-logits.json").toFile());
        int[] ids = StreamSupport.stream(ref.get("ids").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
        TestData.assumeLlamaCpp();
        for (String name : new String[] {"llama-tiny.gguf", "qwen2-tiny.gguf"}) {
            JsonNode expected = ref.get("models").get(name);
            // The reference ran with flash attention; so does this (build 4916 has it for an F16 cache only).
            var options = new LlamaCppContext.Options(64, 512, 512, 1, true, GgmlType.F16);
            try (LlamaCppModel m = LlamaCppModel.open(TestData.shared("arch/" + name));
                 LlamaCppContext ctx = m.newContext(options)) {
                ctx.decodeAllLogits(ids, 0);
                double maxDiff = 0;
                double sumDiff = 0;
                int n = 0;
                for (int pos = 0; pos < ids.length; pos++) {
                    float[] got = ctx.logits(pos);
                    JsonNode row = expected.get(pos);
                    assertEquals(row.size(), got.length, name + " vocabulary size");
                    for (int v = 0; v < got.length; v++) {
                        double d = Math.abs(got[v] - row.get(v).asDouble());
                        maxDiff = Math.max(maxDiff, d);
                        sumDiff += d;
                        n++;
                    }
                }
                // Two correct builds differ by rounding (logits up to 40 here); a wrong position, cache or mask by
                // whole units.
                assertTrue(maxDiff < 1e-2, name + ": max |logit difference| " + maxDiff);
                assertTrue(sumDiff / n < 1e-3, name + ": mean |logit difference| " + sumDiff / n);
            }
        }
    }

    @Test
    void qwen3IsRejectedWithLlamaCppsReason() {
        Path model = TestData.shared("arch/qwen3-tiny.gguf");
        TestData.assumeLlamaCpp();
        // Build 4916 (March 2025) predates llama.cpp's Qwen3 support; the failure must say so, not crash.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LlamaCppModel.open(model));
        assertTrue(e.getMessage().contains("unknown model architecture: 'qwen3'"), e.getMessage());
    }

    @Test
    void flashAttentionWithAnF32CacheIsRefusedBeforeLlamaCppAborts() {
        assertThrows(IllegalArgumentException.class,
                () -> new LlamaCppContext.Options(64, 512, 512, 1, true, GgmlType.F32));
    }

    @Test
    void argmaxTakesTheFirstOfEqualMaxima() {
        assertEquals(1, LlamaCppReference.argmax(new float[] {0f, 3f, 3f, -1f}));
        float[][] top = LlamaCppReference.topK(new float[] {0f, 3f, 3f, 5f}, 3);
        assertArrayEquals(new float[] {3, 5f}, top[0]);
        assertArrayEquals(new float[] {1, 3f}, top[1]);
        assertArrayEquals(new float[] {2, 3f}, top[2]);
    }
}
