package org.ristretto.cpu.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.generate.GenerationOptions;
import org.ristretto.core.generate.GenerationResult;
import org.ristretto.core.generate.Model;
import org.ristretto.core.generate.Session;
import org.ristretto.core.generate.StopReason;
import org.ristretto.core.model.ContextOverflowException;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.sampling.SamplingParams;
import org.ristretto.core.testutil.SharedModels;
import org.ristretto.cpu.CpuBackendProvider;

/**
 * The generation loop end to end on stories260K, against llama2.c's recorded greedy output
 * (reference/stories260K-greedy.json): ids and text, through the streaming path the CLI uses.
 */
class SessionTest {
    private static JsonNode reference;
    private static Backend backend;
    private static Model model;

    @BeforeAll
    static void load() throws IOException {
        reference = new ObjectMapper().readTree(SharedModels.require("reference/stories260K-greedy.json").toFile())
                .get("variants").get("llama2c/stories260K.bin (f32)");
        backend = new CpuBackendProvider().open(new BackendOptions(0, 2));
        model = Model.open(SharedModels.require("gguf/stories260K-f32.gguf"), backend,
                TransformerOptions.defaults().withContextLength(512));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static int[] referenceIds() {
        JsonNode ids = reference.get("ids");
        return IntStream.range(0, ids.size()).map(i -> ids.get(i).asInt()).toArray();
    }

    @Test
    void greedyFromBosStreamsLlama2csTextAndIds() {
        int[] expected = referenceIds();
        StringBuilder streamed = new StringBuilder();
        try (Session session = model.newSession()) {
            GenerationResult r = session.generate(new int[] {1},
                    new GenerationOptions(SamplingParams.greedy(), expected.length, List.of()), streamed::append,
                    () -> false);
            assertArrayEquals(expected, r.tokens());
            assertEquals(reference.get("text").asText(), streamed.toString());
            assertEquals(streamed.toString(), r.text());
            assertEquals(StopReason.MAX_TOKENS, r.reason());
            assertEquals(1, r.promptTokens());
        }
    }

    @Test
    void samplingWithPenaltiesOnTheHostPathAgreesWithTheDeviceGreedyPath() {
        // temperature 0 with a repeat penalty of 1 (off) but a frequency penalty of 0 goes through the host sampler
        // when penalties are on; with every penalty neutral it must pick the same tokens as the device argmax.
        int[] expected = referenceIds();
        SamplingParams hostGreedy = SamplingParams.greedy().withPenalties(1.0f, 0f, 0f, 64);
        try (Session session = model.newSession()) {
            GenerationResult r = session.generate(new int[] {1},
                    new GenerationOptions(hostGreedy, 40, List.of()), s -> { }, () -> false);
            assertArrayEquals(java.util.Arrays.copyOf(expected, 40), r.tokens());
        }
    }

    @Test
    void aStopStringEndsGenerationAndIsNotShown() {
        String text = reference.get("text").asText();
        try (Session session = model.newSession()) {
            GenerationResult r = session.generate(new int[] {1},
                    new GenerationOptions(SamplingParams.greedy(), 256, List.of("red ball")), s -> { }, () -> false);
            assertEquals(StopReason.STOP_STRING, r.reason());
            assertEquals(text.substring(0, text.indexOf("red ball")), r.text());
        }
    }

    @Test
    void aSecondTurnReusesTheCachedPrefixAndContinuesExactly() {
        int[] expected = referenceIds();
        try (Session session = model.newSession()) {
            GenerationOptions ten = new GenerationOptions(SamplingParams.greedy(), 10, List.of());
            GenerationResult first = session.generate(new int[] {1}, ten, s -> { }, () -> false);
            // the cache holds BOS and the first 9 generated tokens (the 10th was sampled, not evaluated)
            assertEquals(10, session.position());
            int[] continued = new int[11];
            continued[0] = 1;
            System.arraycopy(first.tokens(), 0, continued, 1, 10);
            GenerationResult second = session.generate(continued, ten, s -> { }, () -> false);
            assertEquals(10, second.reusedTokens());
            assertEquals(1, second.promptTokens());
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 10, 20), second.tokens());
        }
    }

    @Test
    void cancellationAndTheContextLimitEndGeneration() throws IOException {
        List<String> pieces = new ArrayList<>();
        int[] calls = {0};
        try (Session session = model.newSession()) {
            GenerationResult r = session.generate(new int[] {1},
                    new GenerationOptions(SamplingParams.greedy(), -1, List.of()), pieces::add, () -> ++calls[0] >= 5);
            assertEquals(StopReason.CANCELLED, r.reason());
            assertEquals(5, r.tokens().length);
        }
        try (Model small = Model.open(SharedModels.require("gguf/stories260K-f32.gguf"), backend,
                TransformerOptions.defaults().withContextLength(16));
             Session session = small.newSession()) {
            GenerationResult r = session.generate(new int[] {1},
                    new GenerationOptions(SamplingParams.greedy(), -1, List.of()), s -> { }, () -> false);
            assertEquals(StopReason.CONTEXT_FULL, r.reason());
            assertEquals(16, session.position());
            var e = assertThrows(ContextOverflowException.class, () -> session.generate(new int[17],
                    GenerationOptions.defaults(), s -> { }, () -> false));
            assertTrue(e.getMessage().contains("17") && e.getMessage().contains("16"), e.getMessage());
        }
    }
}
