package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfoCommandTest {
    static Path shared(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 6 && dir != null; i++, dir = dir.getParent()) {
            Path p = dir.resolve("shared/models").resolve(relative);
            if (Files.exists(p)) {
                return p;
            }
        }
        Assumptions.abort("skipped: test data ../shared/models/" + relative + " is absent");
        return null;
    }

    @Test
    void textShowsHeaderMetadataAndTensorTable() {
        CliRunner r = CliRunner.run("info", shared("gguf/stories260K-q8_0.gguf").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("architecture: llama"), r.out());
        assertTrue(r.out().contains("GGUF v3"));
        assertTrue(r.out().contains("parameters:   260032"));
        assertTrue(r.out().contains("[STRING x 512: \"<unk>\", \"<s>\", \"</s>\""), "long arrays are shortened");
        assertTrue(r.out().matches("(?s).*token_embd\\.weight\\s+Q8_0\\s+\\[64, 512\\]\\s+34816.*"), r.out());
    }

    @Test
    void jsonIsOneDocumentWithTensorAndTypeNames() throws IOException {
        CliRunner r = CliRunner.run("info", "--json", shared("gguf/stories260K-q4_0.gguf").toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertEquals("llama", doc.get("architecture").asText());
        assertEquals(47, doc.get("tensors").size());
        assertEquals("token_embd.weight", doc.get("tensors").get(0).get("name").asText());
        assertEquals("Q4_0", doc.get("tensors").get(0).get("type").asText());
        assertEquals(512, doc.get("metadata").get("tokenizer.ggml.tokens").get("length").asInt());
        assertTrue(doc.get("bytes_per_type").has("Q4_0"));
    }

    @Test
    void worksOnEveryGgufInTheSharedModels() throws IOException {
        Path root = shared("SOURCES.md").getParent();
        try (var files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".gguf")).toList()) {
                CliRunner r = CliRunner.run("info", p.toString());
                assertEquals(0, r.exitCode(), p + ": " + r.err());
            }
        }
    }

    @Test
    void corruptFileIsOneLineWithoutStackTrace(@TempDir Path dir) throws IOException {
        byte[] head = Files.readAllBytes(shared("gguf/stories260K-f32.gguf"));
        Path cut = Files.write(dir.resolve("cut.gguf"), java.util.Arrays.copyOf(head, 3000));
        CliRunner r = CliRunner.run("info", cut.toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ristretto: " + cut + ": at byte "), r.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        CliRunner unknown = CliRunner.run("info", "--nope", "x");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("Unknown option: '--nope'"), unknown.err());
        assertEquals(2, CliRunner.run("frobnicate").exitCode());
        assertEquals(2, CliRunner.run().exitCode());
        CliRunner missing = CliRunner.run("info", "/no/such/file.gguf");
        assertEquals(1, missing.exitCode());
        assertEquals("ristretto: no such file: /no/such/file.gguf", missing.err().strip());
    }

    @Test
    void helpDescribesTheCommand() {
        CliRunner r = CliRunner.run("info", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--json"));
    }
}
