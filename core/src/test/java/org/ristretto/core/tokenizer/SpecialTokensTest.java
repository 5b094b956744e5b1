package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Special tokens written in text: control tokens are matched only with parseSpecial, user-defined ones always,
 * longest first, never split; BOS/EOS are added as the vocabulary says. Expected ids are composed from the encodings
 * of the plain parts, which the reference tests pin down.
 */
class SpecialTokensTest {
    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    @Test
    void llama3ChatMarkersAreMatchedOnlyWhenParsed() {
        Tokenizer t = TokenizerFixtures.load("vocab/llama3-vocab.gguf");
        String text = "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>";
        int[] parsed = t.encode(text, false, true);
        assertArrayEquals(concat(new int[] {128006}, t.encode("user", false, false), new int[] {128007},
                t.encode("\n\nHello", false, false), new int[] {128009}), parsed);
        int[] plain = t.encode(text, false, false);
        assertTrue(IntStream.of(plain).allMatch(id -> id < 128000), Arrays.toString(plain));
        assertEquals(text, t.decode(parsed));
        assertEquals(text, t.decode(plain));
    }

    @Test
    void bosIsAddedAsTheVocabularySays() {
        Tokenizer llama3 = TokenizerFixtures.load("vocab/llama3-vocab.gguf");
        assertArrayEquals(concat(new int[] {128000}, llama3.encode("Hello world", false, false)),
                llama3.encode("Hello world", true, false));
        Tokenizer qwen3 = TokenizerFixtures.load("vocab/qwen3-vocab.gguf");
        assertArrayEquals(qwen3.encode("Hello world", false, false), qwen3.encode("Hello world", true, false));
        Tokenizer spm = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        assertArrayEquals(concat(new int[] {1}, spm.encode("Hello world", false, false)),
                spm.encode("Hello world", true, false));
        assertArrayEquals(new int[] {1}, spm.encode("", true, false), "an empty text is BOS alone");
        assertArrayEquals(new int[0], spm.encode("", false, false));
    }

    @Test
    void sentencePiecePrefixesASpaceAfterEachSpecialToken() {
        Tokenizer spm = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-llama-spm.gguf");
        int[] hello = spm.encode("Hello", false, false);
        assertEquals("\u2581Hello", spm.vocabulary().token(hello[0]));
        assertArrayEquals(concat(new int[] {1}, hello, new int[] {2}, hello), spm.encode("<s>Hello</s>Hello", false,
                true));
        assertEquals("<s>Hello</s>Hello", spm.decode(spm.encode("<s>Hello</s>Hello", false, true)));
        int[] plain = spm.encode("<s>", false, false);
        assertTrue(plain.length > 1 && IntStream.of(plain).noneMatch(id -> id == 1), "<s> spelled out");
    }

    @Test
    void userDefinedTokensAreMatchedEvenWhenNotParsingSpecials() {
        Tokenizer coder = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-deepseek-coder.gguf");
        int o = coder.vocabulary().id("õ");
        assertTrue(coder.vocabulary().isUserDefined(o));
        assertArrayEquals(concat(coder.encode("ab", false, false), new int[] {o}, coder.encode("cd", false, false)),
                coder.encode("abõcd", false, false));
        Tokenizer qwen3 = TokenizerFixtures.load("vocab/qwen3-vocab.gguf");
        assertArrayEquals(concat(new int[] {151667}, qwen3.encode("\nhmm\n", false, false), new int[] {151668}),
                qwen3.encode("<think>\nhmm\n</think>", false, false));
    }

    @Test
    void longerSpecialTokensWinOverTheirPrefixes() {
        Tokenizer mpt = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-mpt.gguf");
        Vocabulary v = mpt.vocabulary();
        String twentyFour = " ".repeat(24);
        String three = " ".repeat(3);
        assertTrue(v.isUserDefined(v.id(twentyFour)) && v.isUserDefined(v.id(three)));
        assertArrayEquals(new int[] {v.id(twentyFour), v.id(three)}, mpt.encode(" ".repeat(27), false, false));
    }

    @Test
    void phi3StripsWhitespaceAfterItsSpecialTokens() {
        Tokenizer phi3 = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-phi-3.gguf");
        assertArrayEquals(phi3.encode("<|user|>Hi", false, true), phi3.encode("<|user|> \n Hi", false, true));
        assertEquals(32010, phi3.encode("<|user|>Hi", false, true)[0]);
    }

    @Test
    void loneSurrogatesAreReadAsReplacementCharacters() {
        Tokenizer llama3 = TokenizerFixtures.load("vocab/llama3-vocab.gguf");
        assertArrayEquals(llama3.encode("a\uFFFDb", false, false), llama3.encode("a\uD800b", false, false));
        assertArrayEquals(llama3.encode("\uFFFD", false, false), llama3.encode("\uDC00", false, false));
    }
}
