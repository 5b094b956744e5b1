package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.testutil.SharedModels;

/**
 * llama.cpp's own tokenizer test vectors ({@code test-tokenizer-0}): each {@code .inp} holds texts separated by
 * {@code "\n__ggml_vocab_test__\n"} and each line of the {@code .out} the ids llama.cpp gives the matching text, with
 * special tokens neither added nor parsed. Every text must give exactly those ids and decode back to itself.
 */
class LlamaCppVocabTest {
    private static final String DIR = "llamacpp-vocab/";
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static Stream<Arguments> vocabularies() {
        return Stream.of(
                Arguments.of("ggml-vocab-llama-spm", DIR + "ggml-vocab-llama-spm.gguf"),
                Arguments.of("ggml-vocab-phi-3", DIR + "ggml-vocab-phi-3.gguf"),
                Arguments.of("ggml-vocab-gpt-2", DIR + "ggml-vocab-gpt-2.gguf"),
                Arguments.of("ggml-vocab-deepseek-coder", DIR + "ggml-vocab-deepseek-coder.gguf"),
                Arguments.of("ggml-vocab-deepseek-llm", DIR + "ggml-vocab-deepseek-llm.gguf"),
                Arguments.of("ggml-vocab-falcon", DIR + "ggml-vocab-falcon.gguf"),
                Arguments.of("ggml-vocab-mpt", DIR + "ggml-vocab-mpt.gguf"),
                Arguments.of("ggml-vocab-refact", DIR + "ggml-vocab-refact.gguf"),
                Arguments.of("ggml-vocab-starcoder", DIR + "ggml-vocab-starcoder.gguf"),
                Arguments.of("ggml-vocab-bert-bge", DIR + "ggml-vocab-bert-bge.gguf"),
                Arguments.of("ggml-vocab-llama-bpe", "vocab/llama3-vocab.gguf"),
                Arguments.of("ggml-vocab-qwen2", "vocab/qwen3-vocab.gguf"));
    }

    /** The texts of an {@code .inp} file, split as test-tokenizer-0 splits them. */
    static List<String> texts(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
        if (!texts.isEmpty() && texts.getLast().isEmpty()) {
            texts.removeLast();
        }
        return texts;
    }

    /** One line of ids per text. */
    static List<int[]> expectedIds(Path out) throws IOException {
        List<int[]> ids = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String t = line.strip();
            ids.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return ids;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void everyTextGivesLlamaCppIds(String name, String gguf) throws IOException {
        List<String> texts = texts(SharedModels.require(DIR + name + ".gguf.inp"));
        List<int[]> expected = expectedIds(SharedModels.require(DIR + name + ".gguf.out"));
        assertEquals(expected.size(), texts.size(), "cases in .inp and .out");
        Tokenizer tok = TokenizerFixtures.load(gguf);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int[] got = tok.encode(texts.get(i), false, false);
            if (!Arrays.equals(expected.get(i), got)) {
                failures.add("case " + i + " " + escape(texts.get(i)) + "\n  expected " + Arrays.toString(expected.get(i))
                        + "\n  got      " + Arrays.toString(got));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + texts.size() + " differ:\n"
                + String.join("\n", failures));
    }

    static String escape(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"';
    }
}
