package org.ristretto.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Values formatted as llama-bench formats them, shared by Ristretto's own report and the llama.cpp peer's in the
 * bench module, so that the two tables and JSON documents read alike.
 */
public final class LlamaBenchFields {
    private LlamaBenchFields() {}

    /** llama-bench's size column: MiB below 1 GiB, GiB from there. */
    public static String size(long bytes) {
        return bytes < (1L << 30)
                ? String.format(Locale.ROOT, "%.2f MiB", bytes / 1024.0 / 1024.0)
                : String.format(Locale.ROOT, "%.2f GiB", bytes / 1024.0 / 1024.0 / 1024.0);
    }

    /** llama-bench's params column: millions below a billion, billions from there. */
    public static String params(long n) {
        return n < 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f M", n / 1e6)
                : String.format(Locale.ROOT, "%.2f B", n / 1e9);
    }

    /** The CPU's model name as Linux reports it (llama-bench's {@code cpu_info}), or the JVM's architecture. */
    public static String cpuInfo() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux or not readable: the architecture is the best left.
        }
        return System.getProperty("os.arch", "unknown");
    }
}
