package org.ristretto.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ristretto.opencl.OpenClBackendProvider;

class DevicesCommandTest {

    /** The line after the last device line of {@code backend}'s section. */
    private static String capabilityLine(List<String> lines, String backend) {
        int i = 0;
        while (!lines.get(i).startsWith(backend + ": available")) {
            i++;
        }
        do {
            i++;
        } while (lines.get(i).startsWith("  device "));
        return lines.get(i);
    }

    @Test
    void cpuLineListsWhatTheCpuBackendRuns() {
        CliRunner r = CliRunner.run("devices");
        assertEquals(0, r.exitCode(), r.err());
        String line = capabilityLine(r.out().lines().toList(), "cpu");
        assertTrue(line.startsWith("  runs: weights f32 f16 q4_0 "), line);
        assertTrue(line.contains(" q8_0 ") && line.contains(" q4_K ") && line.contains(" q6_K "), line);
        assertTrue(line.contains("; kv cache f32 f16 q8_0; ops rms_norm add rope argmax"), line);
        // The CPU is the fallback; it has none of its own.
        assertTrue(!line.contains("cpu fallback"), line);
    }

    @Test
    void openClLineSaysWhatGoesThroughTheCpuFallback() {
        var probe = new OpenClBackendProvider().probe();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.available(), () -> "skipped: no OpenCL device: "
                + probe.reason());
        CliRunner r = CliRunner.run("devices");
        assertEquals(0, r.exitCode(), r.err());
        String line = capabilityLine(r.out().lines().toList(), "opencl");
        assertTrue(line.startsWith("  runs: weights f32 f16 "), line);
        assertTrue(line.contains("; kv cache f32 f16 q8_0; ops rms_norm add rope argmax; cpu fallback: "), line);
    }
}
