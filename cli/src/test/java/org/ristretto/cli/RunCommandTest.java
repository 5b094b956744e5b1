package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.cli.InfoCommandTest.shared;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ristretto run} on stories260K against llama2.c's greedy output (reference/stories260K-greedy.json). */
class RunCommandTest {

    private static String referenceText() throws IOException {
        return new ObjectMapper().readTree(shared("reference/stories260K-greedy.json").toFile())
                .get("variants").get("llama2c/stories260K.bin (f32)").get("text").asText();
    }

    @Test
    void greedyFromAnEmptyPromptPrintsLlama2csStoryAndStatsOnStderr() throws IOException {
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner r = CliRunner.run("run", "-m", model, "-p", "", "--temp", "0", "-n", "60", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        String text = referenceText();
        String printed = r.out().stripTrailing();
        assertTrue(printed.length() > 100 && text.startsWith(printed), "printed: " + printed);
        assertTrue(r.err().contains("backend: cpu"), r.err());
        assertTrue(r.err().contains("generation: 60 tokens"), r.err());
        assertTrue(r.err().contains("peak RSS"), r.err());
        assertTrue(r.err().contains("load:"), r.err());
    }

    /**
     * The Q4_0 file decodes through packed weights by default; with --no-repack through the mapping alone; with
     * --huge-pages through packed weights on huge pages; and with an f32 KV cache (-ctk, llama.cpp's name) to the same
     * text.
     */
    /**
     * With --pack-cache the first run saves its packed copies in the folder and the second maps them from there:
     * both print the reference text.
     */
    @Test
    void packedCopiesKeptInAFolderGiveTheSameText(@TempDir Path dir) throws IOException {
        String model = shared("gguf/stories260K-q4_0.gguf").toString();
        String text = new ObjectMapper().readTree(shared("reference/stories260K-greedy.json").toFile())
                .get("variants").get("gguf/stories260K-q4_0.gguf").get("text").asText();
        String cache = dir.resolve("packed").toString();
        for (String expected : new String[] {"saved to", "mapped from"}) {
            CliRunner r = CliRunner.run("run", "-m", model, "-p", "", "--temp", "0", "-n", "40", "-t", "2",
                    "--pack-cache", cache);
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.err().contains("packed copies: ") && r.err().contains(expected), r.err());
            String printed = r.out().stripTrailing();
            assertTrue(printed.length() > 60 && text.startsWith(printed), expected + ": printed " + printed);
        }
    }

    @Test
    void q4_0GreedyTextIsTheReferenceWithAndWithoutRepacking() throws IOException {
        String model = shared("gguf/stories260K-q4_0.gguf").toString();
        String text = new ObjectMapper().readTree(shared("reference/stories260K-greedy.json").toFile())
                .get("variants").get("gguf/stories260K-q4_0.gguf").get("text").asText();
        for (String[] extra : new String[][] {{}, {"--no-repack"}, {"--huge-pages"}, {"-ctk", "f32"}}) {
            String[] args = {"run", "-m", model, "-p", "", "--temp", "0", "-n", "40", "-t", "2"};
            String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            CliRunner r = CliRunner.run(all);
            assertEquals(0, r.exitCode(), r.err());
            String printed = r.out().stripTrailing();
            assertTrue(printed.length() > 60 && text.startsWith(printed), String.join(" ", extra) + " printed: "
                    + printed);
        }
    }

    @Test
    void echoPrintsThePromptAndAStopStringEndsTheText() throws IOException {
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner r = CliRunner.run("run", "-m", model, "-p", "Once upon a time", "--echo", "--temp", "0", "-n", "100",
                "--stop", "Lily");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named "), r.out());
        assertTrue(!r.out().contains("Lily"), r.out());
        assertTrue(r.err().contains("stop string"), r.err());
    }

    @Test
    void badValuesAreOneLineUsageErrors() {
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner bad = CliRunner.run("run", "-m", model, "-p", "x", "--top-p", "2");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("topP") && bad.err().lines().count() == 1, bad.err());
        assertEquals(2, CliRunner.run("run", "-m", model, "-p", "x", "--temp", "warm").exitCode());
        assertEquals(2, CliRunner.run("run", "-m", model).exitCode());
        assertEquals(2, CliRunner.run("run", "-m", model, "-p", "x", "-f", "y").exitCode());
        assertEquals(2, CliRunner.run("run", "-m", model, "-p", "x", "--cache-type", "q4_0").exitCode());
        assertEquals(2, CliRunner.run("run", "-m", model, "-p", "x", "-ctk", "q4_0").exitCode());
        assertEquals(2, CliRunner.run("run", "-m", model, "-p", "x", "--threads", "0").exitCode());
        CliRunner notAFolder = CliRunner.run("run", "-m", model, "-p", "x", "--pack-cache", model);
        assertEquals(2, notAFolder.exitCode());
        assertTrue(notAFolder.err().contains("--pack-cache must be a folder"), notAFolder.err());
    }

    @Test
    void failuresAreOneLineErrors() {
        CliRunner missing = CliRunner.run("run", "-m", "/nonexistent/model.gguf", "-p", "x");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("/nonexistent/model.gguf"), missing.err());
        String model = shared("gguf/stories260K-f32.gguf").toString();
        CliRunner tooLong = CliRunner.run("run", "-m", model, "-c", "8",
                "-p", "Once upon a time there was a little girl who loved to play outside");
        assertEquals(1, tooLong.exitCode(), tooLong.err());
        assertTrue(tooLong.err().contains("context holds 8"), tooLong.err());
        assertTrue(tooLong.err().lines().filter(l -> l.startsWith("ristretto:")).count() == 1, tooLong.err());
        CliRunner vocabOnly = CliRunner.run("run", "-m", shared("vocab/llama3-vocab.gguf").toString(), "-p", "x");
        assertEquals(1, vocabOnly.exitCode());
        assertTrue(!vocabOnly.err().contains("\tat "), vocabOnly.err());
    }
}
