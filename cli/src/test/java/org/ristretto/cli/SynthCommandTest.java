package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesATinyModelThatInfoReads() throws IOException {
        Path vocab = InfoCommandTest.shared("gguf/stories260K-f32.gguf");
        Path out = dir.resolve("tiny.gguf");
        CliRunner r = CliRunner.run("synth", "--preset", "tiny-llama", "--type", "q8_0", "--vocab", vocab.toString(),
                "-o", out.toString(), "--seed", "5", "--threads", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("wrote " + out + " ("), r.out());
        assertTrue(r.out().contains("tiny-llama, q8_0, 3.28 M parameters, seed 5"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  q8_0 .*"), r.out());
        assertTrue(Files.size(out) > 3_000_000);

        CliRunner info = CliRunner.run("info", out.toString(), "--json");
        assertEquals(0, info.exitCode(), info.err());
        JsonNode j = new ObjectMapper().readTree(info.out());
        assertEquals("llama", j.get("architecture").asText());
        assertEquals("synthetic tiny-llama (random weights, seed 5)", j.get("name").asText());
        assertEquals(7, j.get("metadata").get("general.file_type").get("value").asInt());
        // 4 layers of 2 norms, the output norm and the rope factors in F32; the embedding and 4 x 7 matrices Q8_0.
        assertEquals(10, j.get("bytes_per_type").get("F32").get("tensors").asInt());
        assertEquals(29, j.get("bytes_per_type").get("Q8_0").get("tensors").asInt());
        assertEquals(2, j.get("bytes_per_type").size(), j.get("bytes_per_type").toString());
    }

    @Test
    void unknownPresetOrTypeIsAUsageError() {
        Path vocab = InfoCommandTest.shared("gguf/stories260K-f32.gguf");
        CliRunner p = CliRunner.run("synth", "--preset", "llama-9", "--type", "q8_0", "--vocab", vocab.toString(),
                "-o", dir.resolve("x.gguf").toString());
        assertEquals(2, p.exitCode());
        assertTrue(p.err().startsWith("ristretto: unknown preset 'llama-9'; known: llama-3.2-1b"), p.err());
        assertEquals(1, p.err().strip().lines().count());
        CliRunner t = CliRunner.run("synth", "--preset", "tiny-llama", "--type", "q4_k_x", "--vocab",
                vocab.toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(2, t.exitCode());
        assertTrue(t.err().contains("unknown type 'q4_k_x'"), t.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void missingVocabularyIsOneLineAndExitCodeOne() {
        CliRunner r = CliRunner.run("synth", "--preset", "tiny-llama", "--type", "q8_0", "--vocab",
                dir.resolve("none.gguf").toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, r.exitCode());
        assertEquals("ristretto: no such file: " + dir.resolve("none.gguf"), r.err().strip());
    }

    @Test
    void vocabularyWithoutTokensIsRefused() throws IOException {
        // A model file with tokens works as a vocabulary; a file without tokenizer keys does not.
        Path noTokens = dir.resolve("empty.gguf");
        new org.ristretto.core.gguf.GgufWriter().putString("general.architecture", "llama").write(noTokens);
        CliRunner r = CliRunner.run("synth", "--preset", "tiny-llama", "--type", "q8_0", "--vocab",
                noTokens.toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("no tokenizer.ggml.tokens"), r.err());
    }
}
