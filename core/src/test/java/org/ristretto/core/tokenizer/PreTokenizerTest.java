package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.testutil.SharedModels;

/**
 * The hand-written splitters must split exactly as the regular expressions they replace, and the expressions as
 * llama.cpp applies them (the byte-level BPE vectors check the latter end to end).
 */
class PreTokenizerTest {
    /** Characters that exercise every branch: letters, digits, marks, symbols, CJK, emoji, all kinds of space. */
    private static final int[] ALPHABET = {'a', 'b', 'Z', 's', 't', 'S', 'T', 'r', 'e', 'v', 'l', 'L', 'd', 'm', 'D',
        '\'', '0', '7', ' ', ' ', ' ', '\t', '\n', '\r', '\u000B', '!', '.', ',', '-', '$', '+', '<', '_', '"', '(',
        0x00A0, 0x3000, 0x2003, 0x0085, 0x2028, 'é', 0x0301, 'ß', 'Ж', '中', '文', 0x0663, 0x00BD, 0x2163, 0x1F999,
        0x1F600, 0x200D, 0xFE0F, 0x00AD, 0xE000, 0x0378, 0x10FFFF, 'µ', 0x2126, 0x1D7CF};

    static Stream<String> expressions() {
        return Stream.of(HandWrittenSplits.GPT2, HandWrittenSplits.LLAMA3, HandWrittenSplits.QWEN2);
    }

    static List<String> samples() throws IOException {
        List<String> texts = new ArrayList<>();
        texts.addAll(LlamaCppVocabTest.texts(SharedModels.require("llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp")));
        for (String name : List.of("llama3", "qwen3", "llama2-spm")) {
            for (ReferenceJsonlTest.Case c : ReferenceJsonlTest.cases(
                    SharedModels.require("reference/tokenizer-" + name + ".jsonl"))) {
                texts.add(c.text());
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(1, 24);
            for (int k = 0; k < n; k++) {
                sb.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            texts.add(sb.toString());
        }
        return texts;
    }

    @ParameterizedTest
    @MethodSource("expressions")
    void handWrittenSplitsEqualTheExpression(String expression) throws IOException {
        PreTokenizer fast = new PreTokenizer(List.of(expression), true);
        PreTokenizer regex = new PreTokenizer(List.of(expression), false);
        for (String text : samples()) {
            assertEquals(regex.split(text), fast.split(text), LlamaCppVocabTest.escape(text));
        }
    }

    @ParameterizedTest
    @MethodSource("expressions")
    void handWrittenSplitsEqualTheExpressionAfterEarlierSteps(String expression) throws IOException {
        // as in the "default" and starcoder pre-tokenizers, where earlier expressions cut the text into pieces first
        PreTokenizer fast = new PreTokenizer(List.of("\\p{N}", "[\\p{P}\\$\\+<=>\\^~\\|]+", expression), true);
        PreTokenizer regex = new PreTokenizer(List.of("\\p{N}", "[\\p{P}\\$\\+<=>\\^~\\|]+", expression), false);
        for (String text : samples()) {
            assertEquals(regex.split(text), fast.split(text), LlamaCppVocabTest.escape(text));
        }
    }

    @Test
    void wordsCoverTheTextAndLookaheadsStopAtPieceEnds() {
        PreTokenizer gpt2 = new PreTokenizer(List.of(HandWrittenSplits.GPT2));
        assertEquals(List.of("Hello", "  ", " world", "   "), gpt2.split("Hello   world   "));
        assertEquals(List.of("\u3000", "x"), gpt2.split("\u3000x"), "U+3000 is whitespace, and alone before x");
        PreTokenizer llama3 = new PreTokenizer(List.of(HandWrittenSplits.LLAMA3));
        assertEquals(List.of("123", "456", "7", " apples", "'S", "\n\n", " ", " x"),
                llama3.split("1234567 apples'S\n\n  x"));
        assertEquals(List.of(), llama3.split(""));
    }

    @Test
    void translationFollowsLlamaCpp() {
        assertEquals("[\\x{D2}A-Za-z]+", PreTokenizer.translate("\\p{L}+", true));
        assertEquals("[^\\s\\x{D2}A-Za-z\\x{D1}0-9]", PreTokenizer.translate("[^\\s\\p{L}\\p{N}]", true));
        assertEquals("\\s+\\z", PreTokenizer.translate("\\s+$", false));
        assertEquals("[$]", PreTokenizer.translate("[$]", false));
    }

    @Test
    void categoriesFollowPythonRegex() {
        assertEquals(CodepointClass.LETTER, CodepointClass.category('µ'));
        assertEquals(CodepointClass.NUMBER, CodepointClass.category(0x00BD));
        assertEquals(CodepointClass.MARK, CodepointClass.category(0x0301));
        assertEquals(CodepointClass.SYMBOL, CodepointClass.category('$'));
        assertEquals(CodepointClass.PUNCTUATION, CodepointClass.category('_'));
        assertEquals(CodepointClass.OTHER, CodepointClass.category(0x0378), "unassigned is \\p{C}");
        assertEquals(true, CodepointClass.isWhitespace(0x85));
        assertEquals(false, CodepointClass.isWhitespace(0x1C), "White_Space, not Python's str.isspace");
        assertEquals(false, CodepointClass.isWhitespace(0x200B));
    }
}
