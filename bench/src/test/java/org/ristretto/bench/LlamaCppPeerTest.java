package org.ristretto.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ristretto.core.quant.GgmlType;

class LlamaCppPeerTest {

    @Test
    void testNamesFollowLlamaBench() {
        assertEquals("pp512", LlamaBenchTest.pp(512, 0).name());
        assertEquals("tg128 @ d4096", LlamaBenchTest.tg(128, 4096).name());
        assertEquals("pp16+tg8", new LlamaBenchTest(16, 8, 0).name());
        assertThrows(IllegalArgumentException.class, () -> new LlamaBenchTest(0, 0, 5));
    }

    @Test
    void statisticsAreTokensPerSecondWithSampleStddev() {
        var setup = new LlamaBenchSetup("m.gguf", "llama ?B Q8_0", 1, 1, 2048, 512, 2, GgmlType.F16, true);
        // 100 tokens in 0.1 s, 0.2 s, 0.4 s: 1000, 500, 250 t/s; mean 583.33, sample sd 381.88.
        var r = new LlamaBenchResult(LlamaBenchTest.tg(100, 0), setup,
                List.of(100_000_000L, 200_000_000L, 400_000_000L), List.of(1L, 1L, 1L), "t");
        assertEquals(List.of(1000.0, 500.0, 250.0), r.samplesTs());
        assertEquals(583.3333, r.avgTs(), 1e-3);
        assertEquals(381.8813, r.stddevTs(), 1e-3);
        assertEquals(233_333_333L, r.avgNs());
    }

    @Test
    void runsPromptGenerationAndDepthTests() throws Exception {
        Path model = TestData.shared("gguf/stories260K-q8_0.gguf");
        TestData.assumeLlamaCpp();
        var settings = new LlamaCppPeer.Settings(1, 2048, 512, true, GgmlType.F16, 3, true, 7);
        try (LlamaCppPeer peer = LlamaCppPeer.open(model, settings)) {
            for (LlamaBenchTest t : List.of(LlamaBenchTest.pp(64, 0), LlamaBenchTest.tg(16, 32),
                    new LlamaBenchTest(8, 8, 16))) {
                LlamaBenchResult r = peer.run(t);
                assertEquals(3, r.samplesNs().size(), t.name());
                for (int i = 0; i < 3; i++) {
                    long wall = r.samplesNs().get(i);
                    long internal = r.samplesInternalNs().get(i);
                    assertTrue(internal > 0, t.name() + ": llama.cpp timed nothing");
                    // llama.cpp's timers run inside the wall-clock span (they have microsecond resolution).
                    assertTrue(internal <= wall + 1_000, t.name() + ": internal " + internal + " > wall " + wall);
                }
                assertTrue(r.avgTs() > 0);
            }
        }
    }

    @Test
    void jsonOutputUsesLlamaBenchFieldNames() throws Exception {
        Path model = TestData.shared("gguf/stories260K-q8_0.gguf");
        TestData.assumeLlamaCpp();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = LlamaBenchCommand.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("-m", model.toString(), "-t", "1", "-p", "32", "-n", "4", "-d", "0,8", "-r", "2",
                "-o", "json");
        assertEquals(0, code, err.toString());
        JsonNode a = new ObjectMapper().readTree(out.toString());
        assertEquals(4, a.size(), "pp32 and tg4 at depths 0 and 8");
        JsonNode tg = a.get(3);
        assertEquals(model.toString(), tg.get("model_filename").asText());
        assertEquals(1, tg.get("n_threads").asInt());
        assertEquals(0, tg.get("n_prompt").asInt());
        assertEquals(4, tg.get("n_gen").asInt());
        assertEquals(8, tg.get("n_depth").asInt());
        assertEquals(4916, tg.get("build_number").asInt());
        assertTrue(tg.get("flash_attn").asBoolean());
        assertEquals(2, tg.get("samples_ts").size());
        double mean = (tg.get("samples_ts").get(0).asDouble() + tg.get("samples_ts").get(1).asDouble()) / 2;
        assertEquals(mean, tg.get("avg_ts").asDouble(), 1e-9 * mean);
        assertTrue(tg.has("stddev_ts") && tg.has("avg_ns") && tg.has("samples_ns") && tg.has("model_type"));
    }

    @Test
    void missingModelIsOneLineAndExitCodeOne() {
        StringWriter err = new StringWriter();
        var cl = LlamaBenchCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertEquals(1, cl.execute("-m", "/nonexistent/x.gguf", "-p", "8", "-n", "0"));
        assertEquals("llamacpp-bench: no such file: /nonexistent/x.gguf", err.toString().strip());
    }
}
