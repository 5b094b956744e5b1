package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.ristretto.core.testutil.SharedModels;

/** Feeding ids one at a time gives only whole characters and, joined, the same text as decoding them at once. */
class StreamingDecoderTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen3", "llama2-spm"})
    void streamingReproducesDecodeForEveryNonAsciiReferenceText(String name) throws IOException {
        String gguf = switch (name) {
            case "llama3" -> "vocab/llama3-vocab.gguf";
            case "qwen3" -> "vocab/qwen3-vocab.gguf";
            default -> "llamacpp-vocab/ggml-vocab-llama-spm.gguf";
        };
        Tokenizer tok = TokenizerFixtures.load(gguf);
        int checked = 0;
        for (ReferenceJsonlTest.Case c : ReferenceJsonlTest.cases(
                SharedModels.require("reference/tokenizer-" + name + ".jsonl"))) {
            if (c.text().chars().allMatch(ch -> ch < 128)) {
                continue;
            }
            StreamingDecoder stream = tok.streamingDecoder();
            StringBuilder joined = new StringBuilder();
            for (int id : c.ids()) {
                String part = stream.accept(id);
                assertFalse(part.contains("\uFFFD"), "a chunk holds a broken character: " + part);
                joined.append(part);
            }
            assertFalse(stream.hasPending());
            joined.append(stream.flush());
            // the stream keeps the space SentencePiece puts before the text; decode() removes it
            String prefix = tok.vocabulary().addSpacePrefix() ? " " : "";
            assertEquals(prefix + tok.decode(c.ids()), joined.toString(), c.text());
            checked++;
        }
        assertTrue(checked >= 15, "non-ASCII texts checked: " + checked);
    }

    @Test
    void byteFallbackTokensAreHeldUntilTheCharacterIsComplete() {
        Tokenizer spm = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        Vocabulary v = spm.vocabulary();
        byte[] llama = "🦙".getBytes(StandardCharsets.UTF_8);
        StreamingDecoder stream = spm.streamingDecoder();
        for (int i = 0; i < 3; i++) {
            assertEquals("", stream.accept(v.id(String.format("<0x%02X>", llama[i] & 0xFF))));
            assertTrue(stream.hasPending());
        }
        assertEquals("🦙", stream.accept(v.id(String.format("<0x%02X>", llama[3] & 0xFF))));
        assertEquals("x", stream.accept(v.id("x")));
        assertEquals("", stream.accept(v.id("<0xE4>")));
        assertEquals("\uFFFD", stream.flush(), "an unfinished character at the end");
        assertFalse(stream.hasPending());
    }

    @Test
    void controlTokensCanBeLeftOut() {
        Tokenizer llama3 = TokenizerFixtures.load("vocab/llama3-vocab.gguf");
        StreamingDecoder shown = llama3.streamingDecoder();
        StreamingDecoder hidden = new StreamingDecoder(llama3.vocabulary(), false);
        assertEquals("<|eot_id|>", shown.accept(128009));
        assertEquals("", hidden.accept(128009));
        assertEquals(" world", hidden.accept(1917));
    }
}
