package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    @TempDir
    Path dir;

    @Test
    void convertsStories260KToTheReferenceGguf() throws IOException {
        Path out = dir.resolve("s.gguf");
        CliRunner r = CliRunner.run("convert", "--llama2c", InfoCommandTest.shared("llama2c/stories260K.bin").toString(),
                "--tokenizer", InfoCommandTest.shared("llama2c/tok512.bin").toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("wrote " + out + " (1.01 MiB): llama, 5 layers, dim 64"), r.out());
        assertEquals(-1, Files.mismatch(InfoCommandTest.shared("gguf/stories260K-f32.gguf"), out));

        CliRunner info = CliRunner.run("info", out.toString());
        assertEquals(0, info.exitCode(), info.err());
        assertTrue(info.out().contains("name:         stories260K"), info.out());
    }

    @Test
    void nameOptionSetsGeneralName() throws IOException {
        Path out = dir.resolve("named.gguf");
        CliRunner r = CliRunner.run("convert", "--llama2c", InfoCommandTest.shared("llama2c/stories260K.bin").toString(),
                "--tokenizer", InfoCommandTest.shared("llama2c/tok512.bin").toString(), "--output", out.toString(),
                "--name", "tiny stories");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(CliRunner.run("info", out.toString()).out().contains("name:         tiny stories"));
    }

    @Test
    void aTruncatedCheckpointIsOneLineNamingFileAndOffset() throws IOException {
        byte[] bin = Files.readAllBytes(InfoCommandTest.shared("llama2c/stories260K.bin"));
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bin, 1000));
        Path out = dir.resolve("x.gguf");
        CliRunner r = CliRunner.run("convert", "--llama2c", cut.toString(),
                "--tokenizer", InfoCommandTest.shared("llama2c/tok512.bin").toString(), "-o", out.toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ristretto: " + cut + ": at byte 28: token_embedding_table needs"), r.err());
        assertTrue(Files.notExists(out));
    }

    @Test
    void missingOptionsAndFilesAreReported() {
        CliRunner noTokenizer = CliRunner.run("convert", "--llama2c", "m.bin", "-o", "o.gguf");
        assertEquals(2, noTokenizer.exitCode());
        assertTrue(noTokenizer.err().contains("Missing required option: '--tokenizer=TOK.bin'"), noTokenizer.err());
        CliRunner missing = CliRunner.run("convert", "--llama2c", "/no/such.bin", "--tokenizer", "/no/tok.bin",
                "-o", dir.resolve("o.gguf").toString());
        assertEquals(1, missing.exitCode());
        assertEquals("ristretto: no such file: /no/such.bin", missing.err().strip());
        assertTrue(CliRunner.run("convert", "--help").out().contains("--llama2c=MODEL.bin"));
    }
}
