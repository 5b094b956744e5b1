package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    /** stories260K as `ristretto info` and llama.cpp count it: 260032 F32 weights. */
    private static final long STORIES_PARAMS = 260_032;

    private static String stories() {
        return InfoCommandTest.shared("gguf/stories260K-f32.gguf").toString();
    }

    private static CliRunner bench(String... args) {
        List<String> all = new ArrayList<>(List.of("bench", "-m", stories(), "-t", "1"));
        all.addAll(List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    @Test
    void tableHasLlamaBenchColumnsAndOneRowPerTest() {
        CliRunner r = bench("-p", "16", "-n", "4", "-r", "2");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("\\|\\s+model\\s+\\|\\s+size \\|\\s+params \\| backend\\s+\\| threads \\|"
                + "\\s+test \\|\\s+t/s \\|"), lines.get(0));
        assertTrue(lines.get(1).matches("\\|( -+:? \\|)+"), lines.get(1));
        assertTrue(lines.get(2).matches("\\| llama 260K all F32 +\\| +0\\.99 MiB \\| +0\\.26 M \\| CPU +\\| +1 \\|"
                + " +pp16 \\| +\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|"), lines.get(2));
        assertTrue(lines.get(3).matches(".*\\| +tg4 \\| +\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|"), lines.get(3));
        assertEquals("", lines.get(4));
        assertTrue(lines.get(5).startsWith("build: ristretto"), lines.get(5));
        assertEquals(6, lines.size(), r.out());
        // Every row is as wide as the header, so the markdown renders as a table.
        assertEquals(lines.get(0).length(), lines.get(2).length());
    }

    @Test
    void profileGoesToStderrPerTestAndLeavesTheTableAlone() {
        CliRunner r = bench("-p", "8", "-n", "4", "-r", "2", "--profile");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(6, r.out().lines().count(), r.out());
        String err = r.err();
        assertTrue(err.contains("profile of pp8: 2 repetitions, 16 tokens"), err);
        assertTrue(err.contains("profile of tg4: 2 repetitions, 8 tokens"), err);
        // stories260K: 5 layers, a 512-token vocabulary, 64 dimensions: one output product and 5 attentions a token.
        String tg = err.substring(err.indexOf("profile of tg4"));
        assertTrue(tg.lines().anyMatch(l -> l.matches("\\| matmul f32 512x64 +\\| +1\\.00 \\|.*")), tg);
        assertTrue(tg.lines().anyMatch(l -> l.matches("\\| attention +\\| +5\\.00 \\|.*")), tg);
        assertTrue(tg.lines().anyMatch(l -> l.startsWith("| (outside the backend's operations)")), tg);
    }

    /** Packed copies on huge pages (the default) or on 4 KB pages decode alike; either flag is accepted. */
    @Test
    void hugePagesCanBeTurnedOff() {
        String q4 = InfoCommandTest.shared("gguf/stories260K-q4_0.gguf").toString();
        for (String flag : List.of("--no-huge-pages", "--huge-pages")) {
            CliRunner r = CliRunner.run("bench", "-m", q4, "-t", "2", "-p", "4", "-n", "4", "-r", "1", flag);
            assertEquals(0, r.exitCode(), flag + ": " + r.err());
            assertTrue(r.out().contains("tg4"), r.out());
        }
        assertEquals(2, CliRunner.run("bench", "-m", q4, "--huge-pages=maybe").exitCode());
    }

    @Test
    void nonDefaultBatchAndCacheTypeGetColumns() {
        CliRunner r = bench("-p", "8", "-n", "0", "-r", "1", "-b", "4", "-ctk", "f32");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains("| n_batch | type_k |"), lines.get(0));
        assertTrue(lines.get(2).matches(".*\\| +4 \\| f32 +\\| +pp8 \\|.*"), lines.get(2));
    }

    @Test
    void jsonHasLlamaBenchFieldsAndConsistentStatistics() throws IOException {
        CliRunner r = bench("-p", "8", "-n", "4", "-d", "0,8", "-r", "3", "-o", "json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertTrue(doc.isArray());
        assertEquals(4, doc.size(), "for each depth the pp tests, then the tg tests");
        int[][] expected = {{8, 0, 0}, {0, 4, 0}, {8, 0, 8}, {0, 4, 8}};
        for (int i = 0; i < 4; i++) {
            JsonNode t = doc.get(i);
            for (String f : List.of("build_commit", "build_number", "cpu_info", "gpu_info", "backends",
                    "model_filename", "model_type", "model_size", "model_n_params", "n_batch", "n_ubatch", "n_threads",
                    "type_k", "type_v", "n_gpu_layers", "flash_attn", "n_prompt", "n_gen", "n_depth", "test_time",
                    "avg_ns", "stddev_ns", "avg_ts", "stddev_ts", "samples_ns", "samples_ts")) {
                assertTrue(t.has(f), "field " + f + " in " + t);
            }
            assertEquals(expected[i][0], t.get("n_prompt").asInt());
            assertEquals(expected[i][1], t.get("n_gen").asInt());
            assertEquals(expected[i][2], t.get("n_depth").asInt());
            assertEquals(stories(), t.get("model_filename").asText());
            assertEquals("llama 260K all F32", t.get("model_type").asText());
            assertEquals(STORIES_PARAMS, t.get("model_n_params").asLong());
            assertEquals(STORIES_PARAMS * Float.BYTES, t.get("model_size").asLong(), "all F32");
            assertEquals("CPU", t.get("backends").asText());
            assertEquals(1, t.get("n_threads").asInt());
            assertEquals(512, t.get("n_batch").asInt());
            assertEquals("f16", t.get("type_k").asText());
            assertTrue(t.get("test_time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));

            JsonNode ns = t.get("samples_ns");
            JsonNode ts = t.get("samples_ts");
            assertEquals(3, ns.size());
            assertEquals(3, ts.size());
            int tokens = expected[i][0] + expected[i][1];
            double sum = 0;
            double sumNs = 0;
            for (int k = 0; k < 3; k++) {
                assertTrue(ns.get(k).asLong() > 0);
                assertEquals(1e9 * tokens / ns.get(k).asLong(), ts.get(k).asDouble(), 1e-9 * ts.get(k).asDouble());
                sum += ts.get(k).asDouble();
                sumNs += ns.get(k).asLong();
            }
            double mean = sum / 3;
            assertEquals(mean, t.get("avg_ts").asDouble(), 1e-9 * mean);
            assertEquals(Math.round(sumNs / 3), t.get("avg_ns").asLong());
            double ss = 0;
            for (int k = 0; k < 3; k++) {
                ss += Math.pow(ts.get(k).asDouble() - mean, 2);
            }
            assertEquals(Math.sqrt(ss / 2), t.get("stddev_ts").asDouble(), 1e-9 * mean);
        }
    }

    @Test
    void jsonlPrintsOneObjectPerTest() throws IOException {
        CliRunner r = bench("-p", "4", "-n", "2", "-r", "1", "-o", "jsonl");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        ObjectMapper m = new ObjectMapper();
        assertEquals(4, m.readTree(lines.get(0)).get("n_prompt").asInt());
        assertEquals(2, m.readTree(lines.get(1)).get("n_gen").asInt());
    }

    @Test
    void commaListsRunEveryLengthAndSkipZeros() {
        CliRunner r = bench("-p", "4,8", "-n", "0", "-r", "1");
        assertEquals(0, r.exitCode(), r.err());
        List<String> rows = r.out().lines().filter(l -> l.startsWith("| llama")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).contains(" pp4 |"), rows.get(0));
        assertTrue(rows.get(1).contains(" pp8 |"), rows.get(1));
        assertFalse(r.out().contains(" tg"), r.out());
    }

    @Test
    void rangesExpandLikeLlamaBench() {
        CliRunner r = bench("-p", "2-8*2", "-n", "0", "-r", "1");
        assertEquals(0, r.exitCode(), r.err());
        List<String> tests = r.out().lines().filter(l -> l.startsWith("| llama"))
                .map(l -> l.split("\\|")[6].strip()).toList();
        assertEquals(List.of("pp2", "pp4", "pp8"), tests);
    }

    @Test
    void depthTestsAreNamedAndFitAContextOfExactlyTheirSize() {
        // Each test needs depth + prompt + generated = 12 positions; a cache of exactly 12 must suffice, which also
        // holds the warm-up and the repeated samples inside those positions.
        CliRunner r = bench("-p", "4", "-n", "4", "-d", "8", "-r", "2", "--ctx-size", "12");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains(" pp4 @ d8 |"), r.out());
        assertTrue(r.out().contains(" tg4 @ d8 |"), r.out());
    }

    @Test
    void testLargerThanTheContextIsAOneLineUsageError() {
        CliRunner r = bench("-p", "64", "-n", "0", "--ctx-size", "32");
        assertEquals(2, r.exitCode(), r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("pp64 needs 64 KV cache positions"), r.err());
        assertTrue(r.err().contains("--ctx-size is 32"), r.err());
        assertEquals("", r.out(), "nothing runs before the check");
    }

    @Test
    void badFlagsExitWithCode2AndOneLine() {
        List<List<String>> cases = List.of(
                List.of("-r", "0"), List.of("-p", "-1"), List.of("-p", "8-4"), List.of("-n", "x"), List.of("-d", "-8"),
                List.of("-o", "xml"), List.of("-ctk", "q4_0"), List.of("-p", "0", "-n", "0"),
                List.of("-b", "0"), List.of("-t", "0"), List.of("--ctx-size", "-1"), List.of("--bogus"));
        for (List<String> args : cases) {
            CliRunner r = bench(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), args + ": " + r.err());
            assertEquals(1, r.err().lines().count(), args + ": " + r.err());
            assertTrue(r.err().startsWith("ristretto: "), r.err());
        }
        CliRunner noModel = CliRunner.run("bench", "-p", "8");
        assertEquals(2, noModel.exitCode());
        assertTrue(noModel.err().contains("--model"), noModel.err());
    }

    @Test
    void aCacheTheBackendCannotHoldIsAOneLineFailure() {
        // stories260K's heads are 8 wide; a Q8_0 cache stores blocks of 32.
        CliRunner r = bench("-p", "8", "-n", "0", "-ctk", "q8_0");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("ristretto: ") && l.contains("q8_0")), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingFileIsAOneLineFailure() {
        CliRunner r = CliRunner.run("bench", "-m", "/nonexistent/model.gguf", "-p", "8", "-n", "0");
        assertEquals(1, r.exitCode());
        assertEquals("ristretto: no such file: /nonexistent/model.gguf", r.err().strip());
    }
}
