package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufWriter;

/** {@code ristretto tokenize} against the reference encodings in shared/models/reference. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPM = "llamacpp-vocab/ggml-vocab-llama-spm.gguf";

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    /** The reference line for a text: SentencePiece's ids for Llama 2. */
    private static int[] referenceIds(String file, String text) throws IOException {
        for (String line : Files.readAllLines(InfoCommandTest.shared(file))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("text").asText().equals(text)) {
                return ids(n.get("ids"));
            }
        }
        throw new AssertionError("no reference line for " + text);
    }

    @Test
    void printsIdsAsOneJsonArray() throws IOException {
        String model = InfoCommandTest.shared(SPM).toString();
        String text = "The quick brown fox jumps over the lazy dog.";
        int[] expected = referenceIds("reference/tokenizer-llama2-spm.jsonl", text);
        CliRunner plain = CliRunner.run("tokenize", "-m", model, "--no-bos", "-p", text);
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(1, plain.out().lines().count(), plain.out());
        assertArrayEquals(expected, ids(JSON.readTree(plain.out())));
        CliRunner withBos = CliRunner.run("tokenize", "-m", model, "-p", text);
        int[] bos = ids(JSON.readTree(withBos.out()));
        assertEquals(1, bos[0], "llama adds BOS 1");
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(bos, 1, bos.length));
    }

    @Test
    void readsTheTextFromAFile(@TempDir Path dir) throws IOException {
        String text = "Mixed 中文 and English 123 with emoji 🎉!";
        Path file = Files.writeString(dir.resolve("in.txt"), text, StandardCharsets.UTF_8);
        CliRunner r = CliRunner.run("tokenize", "-m", InfoCommandTest.shared("vocab/llama3-vocab.gguf").toString(),
                "--no-bos", "-f", file.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(referenceIds("reference/tokenizer-llama3.jsonl", text), ids(JSON.readTree(r.out())));
    }

    @Test
    void piecesAreOneTokenPerLine() throws IOException {
        String text = "Hello world";
        int[] expected = referenceIds("reference/tokenizer-llama2-spm.jsonl", text);
        CliRunner r = CliRunner.run("tokenize", "-m", InfoCommandTest.shared(SPM).toString(), "--no-bos", "--pieces",
                "-p", text);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of(expected[0] + "\t Hello", expected[1] + "\t world"), r.out().lines().toList());
        CliRunner bytes = CliRunner.run("tokenize", "-m", InfoCommandTest.shared(SPM).toString(), "--no-bos",
                "--pieces", "-p", "\n🦙");
        assertEquals(List.of("29871\t ", "13\t\\n", "243\t\\xF0", "162\t\\x9F", "169\t\\xA6", "156\t\\x99"),
                bytes.out().lines().toList(), "byte tokens of a newline and an emoji, escaped");
    }

    @Test
    void jsonlGivesOneLinePerInputLineInOrder(@TempDir Path dir) throws IOException {
        Path reference = InfoCommandTest.shared("reference/tokenizer-qwen3.jsonl");
        CliRunner r = CliRunner.run("tokenize", "-m", InfoCommandTest.shared("vocab/qwen3-vocab.gguf").toString(),
                "--no-bos", "--parse-special", "--jsonl", reference.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> expected = Files.readAllLines(reference).stream().filter(l -> !l.isBlank()).toList();
        List<String> got = r.out().lines().toList();
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            JsonNode e = JSON.readTree(expected.get(i));
            JsonNode g = JSON.readTree(got.get(i));
            assertEquals(e.get("text").asText(), g.get("text").asText());
            assertArrayEquals(ids(e.get("ids")), ids(g.get("ids")), e.get("text").asText());
        }
    }

    @Test
    void badJsonlIsOneLineNamingTheLine(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n\n{\"txt\": 1}\n");
        CliRunner r = CliRunner.run("tokenize", "-m", InfoCommandTest.shared(SPM).toString(), "--jsonl",
                bad.toString());
        assertEquals(1, r.exitCode());
        assertEquals("ristretto: " + bad + ": line 3 has no \"text\" string", r.err().strip());
        Path notJson = Files.writeString(dir.resolve("nojson.jsonl"), "text\n");
        CliRunner r2 = CliRunner.run("tokenize", "-m", InfoCommandTest.shared(SPM).toString(), "--jsonl",
                notJson.toString());
        assertEquals(1, r2.exitCode());
        assertTrue(r2.err().startsWith("ristretto: " + notJson + ": line 1 is not JSON"), r2.err());
        assertEquals(1, r2.err().strip().lines().count());
    }

    @Test
    void usageErrorsExitWithTwo() {
        String model = InfoCommandTest.shared(SPM).toString();
        for (String[] args : List.of(
                new String[] {"tokenize", "-m", model},
                new String[] {"tokenize", "-m", model, "-p", "a", "-f", "b"},
                new String[] {"tokenize", "-p", "a"},
                new String[] {"tokenize", "-m", model, "-p", "a", "--nope"},
                new String[] {"tokenize", "-m", model, "--pieces", "--jsonl", "x.jsonl"})) {
            CliRunner r = CliRunner.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("ristretto: "), r.err());
        }
    }

    @Test
    void missingFilesAreOneLineWithExitOne() {
        CliRunner model = CliRunner.run("tokenize", "-m", "/no/such/model.gguf", "-p", "hi");
        assertEquals(1, model.exitCode());
        assertEquals("ristretto: no such file: /no/such/model.gguf", model.err().strip());
        CliRunner text = CliRunner.run("tokenize", "-m", InfoCommandTest.shared(SPM).toString(), "-f",
                "/no/such/text.txt");
        assertEquals(1, text.exitCode());
        assertEquals("ristretto: no such file: /no/such/text.txt", text.err().strip());
    }

    @Test
    void anUnknownPreTokenizerIsNamedWithTheFile(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("odd-pre.gguf");
        try (GgufFile f = GgufFile.open(InfoCommandTest.shared("llamacpp-vocab/ggml-vocab-gpt-2.gguf"))) {
            new GgufWriter().putAll(f.metadata()).putString("tokenizer.ggml.pre", "brand-new").write(copy);
        }
        CliRunner r = CliRunner.run("tokenize", "-m", copy.toString(), "-p", "hi");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ristretto: " + copy + ": tokenizer.ggml.pre 'brand-new' is not a "
                + "pre-tokenizer this reader knows"), r.err());
    }
}
