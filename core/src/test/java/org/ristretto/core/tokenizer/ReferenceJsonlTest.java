package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.testutil.SharedModels;

/**
 * The reference encodings in {@code shared/models/reference/tokenizer-*.jsonl}: Hugging Face {@code tokenizers} for
 * Llama 3 and Qwen3 (which match special tokens written in the text, so they are encoded with parseSpecial), and
 * SentencePiece for Llama 2 (which does not). No BOS in any of them. Qwen's tokenizer normalizes to NFC.
 */
class ReferenceJsonlTest {
    record Case(String text, int[] ids) {}

    static List<Case> cases(Path jsonl) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Case> cases = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            int[] ids = new int[n.get("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = n.get("ids").get(i).asInt();
            }
            cases.add(new Case(n.get("text").asText(), ids));
        }
        return cases;
    }

    static Stream<Arguments> references() {
        return Stream.of(
                Arguments.of("llama3", "vocab/llama3-vocab.gguf", true, false),
                Arguments.of("qwen3", "vocab/qwen3-vocab.gguf", true, true),
                Arguments.of("llama2-spm", "llamacpp-vocab/ggml-vocab-llama-spm.gguf", false, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void encodingsMatchTheReference(String name, String gguf, boolean parseSpecial, boolean nfc) throws IOException {
        List<Case> cases = cases(SharedModels.require("reference/tokenizer-" + name + ".jsonl"));
        assertTrue(cases.size() >= 50, "cases read: " + cases.size());
        Tokenizer tok = TokenizerFixtures.load(gguf);
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            int[] got = tok.encode(c.text(), false, parseSpecial);
            if (!Arrays.equals(c.ids(), got)) {
                failures.add(LlamaCppVocabTest.escape(c.text()) + "\n  expected " + Arrays.toString(c.ids())
                        + "\n  got      " + Arrays.toString(got));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " differ:\n"
                + String.join("\n", failures));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void decodingGivesTheTextBack(String name, String gguf, boolean parseSpecial, boolean nfc) throws IOException {
        Tokenizer tok = TokenizerFixtures.load(gguf);
        for (Case c : cases(SharedModels.require("reference/tokenizer-" + name + ".jsonl"))) {
            // Qwen's tokenizer puts text in NFC first, so decomposed accents come back composed
            String text = nfc ? Normalizer.normalize(c.text(), Normalizer.Form.NFC) : c.text();
            assertEquals(text, tok.decode(c.ids()), "decode of the reference ids");
            assertEquals(text, tok.decode(tok.encode(c.text(), false, parseSpecial)), "round trip");
        }
    }

    @Test
    void mistralNeedsATokenizerJsonImporter() {
        SharedModels.require("reference/tokenizer-mistral-32k.jsonl");
        Assumptions.abort("skipped: reference/tokenizer-mistral-32k.jsonl is for hf-tokenizers/mistral-32k/"
                + "tokenizer.json, and Ristretto reads tokenizers from GGUF only (no tokenizer.json importer)");
    }
}
