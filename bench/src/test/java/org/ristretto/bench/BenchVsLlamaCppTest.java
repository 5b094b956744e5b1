package org.ristretto.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchVsLlamaCppTest {
    private static final Pattern ROW = Pattern.compile(
            "\\| +(\\S+(?: @ d\\d+)?) \\| +([\\d.]+) ± [\\d.]+ \\| +([\\d.]+) ± [\\d.]+ \\| +([\\d.]+) \\|");

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = BenchVsLlamaCpp.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void tablePairsBothToolsPerTestWithTheirRatio() {
        String model = TestData.shared("gguf/stories260K-q8_0.gguf").toString();
        TestData.assumeLlamaCpp();
        Run r = run("-m", model, "-t", "1", "-p", "16", "-n", "4", "-r", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("llama.cpp: build 4916"), r.out());
        List<Matcher> rows = r.out().lines().map(ROW::matcher).filter(Matcher::matches).toList();
        assertEquals(2, rows.size(), r.out());
        assertEquals("pp16", rows.get(0).group(1));
        assertEquals("tg4", rows.get(1).group(1));
        for (Matcher m : rows) {
            double llama = Double.parseDouble(m.group(2));
            double ristretto = Double.parseDouble(m.group(3));
            double ratio = Double.parseDouble(m.group(4));
            assertTrue(llama > 0 && ristretto > 0, m.group());
            // The printed means are rounded to 0.01, so the ratio of the printed figures matches to that precision.
            assertEquals(ristretto / llama, ratio, 0.005 + 0.01 * ratio, m.group());
        }
        // stories260K fits in the caches, so there is no memory roofline to report for it.
        assertTrue(r.out().contains("roofline: skipped, the file (0."), r.out());
    }

    @Test
    void jsonHoldsBothToolsLlamaBenchObjectsInTheSameOrder() throws Exception {
        String model = TestData.shared("gguf/stories260K-q8_0.gguf").toString();
        TestData.assumeLlamaCpp();
        Run r = run("-m", model, "-t", "1", "-p", "8", "-n", "2", "-d", "0,4", "-r", "1", "-o", "json");
        assertEquals(0, r.code(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        JsonNode llama = doc.get("llama.cpp");
        JsonNode ristretto = doc.get("ristretto");
        assertEquals(4, llama.size());
        assertEquals(4, ristretto.size());
        for (int i = 0; i < 4; i++) {
            for (String f : List.of("n_prompt", "n_gen", "n_depth", "n_threads", "n_batch", "model_size",
                    "model_n_params")) {
                assertEquals(llama.get(i).get(f).asLong(), ristretto.get(i).get(f).asLong(), f + " of test " + i);
            }
            assertTrue(llama.get(i).get("avg_ts").asDouble() > 0);
            assertTrue(ristretto.get(i).get("avg_ts").asDouble() > 0);
        }
    }

    /**
     * A stand-in llama-bench (a shell script) that prints its arguments back as llama-bench's JSON fields, with
     * 100 ± 1 t/s, or fails: what {@code --llama-bench} passes and how it reads the answer.
     */
    private static Path fakeLlamaBench(Path dir, boolean fail) throws IOException {
        Path script = dir.resolve(fail ? "failing-llama-bench" : "llama-bench");
        Files.writeString(script, fail ? "#!/bin/sh\necho 'error: unknown argument' >&2\nexit 3\n" : """
                #!/bin/sh
                echo "$@" > "$(dirname "$0")/args"
                while [ $# -gt 0 ]; do
                  case "$1" in -p) p=$2;; -n) n=$2;; -d) d=$2;; -t) t=$2;; esac; shift 2
                done
                printf '[{"build_commit":"abc1234","build_number":7,"model_type":"llama ?B Q8_0","n_prompt":%s,\
                "n_gen":%s,"n_depth":%s,"n_threads":%s,"avg_ts":100.0,"stddev_ts":1.0}]\n' "$p" "$n" "${d:-0}" "$t"
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void aLlamaBenchProgramIsRunPerTestWithTheSameSettings(@TempDir Path dir) throws Exception {
        String model = TestData.shared("gguf/stories260K-q8_0.gguf").toString();
        Path fake = fakeLlamaBench(dir, false);
        Run r = run("-m", model, "-t", "1", "-p", "16", "-n", "4", "-d", "0,8", "-r", "2", "-b", "64",
                "--llama-bench", fake.toString());
        assertEquals(0, r.code(), r.err());
        List<Matcher> rows = r.out().lines().map(ROW::matcher).filter(Matcher::matches).toList();
        assertEquals(List.of("pp16", "tg4", "pp16 @ d8", "tg4 @ d8"), rows.stream().map(m -> m.group(1)).toList(),
                r.out());
        for (Matcher m : rows) {
            assertEquals(100.0, Double.parseDouble(m.group(2)), 0.0, m.group());
        }
        assertTrue(r.out().contains("llama.cpp: " + fake + " build 7 (abc1234); model llama ?B Q8_0"), r.out());
        // The last test: tg4 at depth 8.
        assertEquals("-m " + model + " -t 1 -b 64 -ub 64 -fa 1 -ctk f16 -ctv f16 -r 2 -p 0 -n 4 -o json -d 8",
                Files.readString(dir.resolve("args")).strip());
        Run json = run("-m", model, "-t", "1", "-p", "8", "-n", "0", "-r", "1", "-o", "json",
                "--llama-bench", fake.toString());
        assertEquals(0, json.code(), json.err());
        assertEquals("abc1234", new ObjectMapper().readTree(json.out()).get("llama.cpp").get(0)
                .get("build_commit").asText());
    }

    @Test
    void aFailingLlamaBenchProgramIsAnErrorWithItsMessage(@TempDir Path dir) throws Exception {
        String model = TestData.shared("gguf/stories260K-q8_0.gguf").toString();
        Run r = run("-m", model, "-t", "1", "-p", "8", "-n", "0", "-r", "1", "--llama-bench",
                fakeLlamaBench(dir, true).toString());
        assertEquals(1, r.code(), r.out());
        assertEquals("bench-vs-llamacpp: failing-llama-bench exited with 3 on pp8: error: unknown argument",
                r.err().strip().lines().reduce((a, b) -> b).orElse(""), r.err());
        Run missing = run("-m", model, "--llama-bench", dir.resolve("absent").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--llama-bench: not an executable file"), missing.err());
    }

    @Test
    void badFlagsExitWithCode2() {
        for (List<String> args : List.of(List.of("-p", "8"), List.of("-m", "x.gguf", "-p", "0", "-n", "0"),
                List.of("-m", "x.gguf", "-r", "0"), List.of("-m", "x.gguf", "-o", "csv"))) {
            Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.code(), args + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        Run missing = run("-m", "/nonexistent.gguf");
        assertEquals(1, missing.code());
        assertEquals("bench-vs-llamacpp: no such file: /nonexistent.gguf", missing.err().strip());
    }

    @Test
    void rooflineRowIsFileBytesTimesTokensPerSecondOverTheBandwidth() {
        // 1.32 GB at 13.15 and 11.98 tokens/s against 29.7 GB/s: 17.4 GB/s (58%) and 15.8 GB/s (53%).
        assertEquals("  tg128: llama.cpp 17.4 GB/s (58%), Ristretto 15.8 GB/s (53%)",
                BenchVsLlamaCpp.rooflineRow("tg128", 1.32e9, 13.15, 11.98, 29.7e9));
    }
}
