package org.ristretto.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ristretto.core.generate.GenerationResult;

/** The timing lines {@code run} and {@code chat} print on stderr. */
final class RunStats {
    private RunStats() {
    }

    static void print(PrintWriter err, GenerationResult r) {
        err.printf("prompt: %d tokens (%d reused from the cache) in %.1f ms, %.2f tokens/s%n", r.promptTokens(),
                r.reusedTokens(), r.prefillNanos() / 1e6, r.prefillTokensPerSecond());
        err.printf("generation: %d tokens in %.1f ms, %.2f tokens/s (stopped: %s)%n", r.tokens().length,
                r.generateNanos() / 1e6, r.generateTokensPerSecond(), r.reason().name().toLowerCase().replace('_', ' '));
        err.flush();
    }

    /** The process's peak resident set size from /proc (Linux), or -1 where that is not available. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static void printLoadAndMemory(PrintWriter err, long loadNanos) {
        long rss = peakRssBytes();
        err.printf("load: %.1f ms; peak RSS: %s%n", loadNanos / 1e6, rss < 0 ? "unknown" : Sizes.bytes(rss));
        err.flush();
    }
}
