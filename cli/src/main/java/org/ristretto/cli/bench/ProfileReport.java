package org.ristretto.cli.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.ristretto.core.backend.ProfilingBackend;

/**
 * The table {@code ristretto bench --profile} prints after each test: where the timed repetitions' time went, per
 * kind of backend operation, and what was left outside the backend's operations (the forward pass's own code,
 * sampling, the timer).
 */
public final class ProfileReport {
    private ProfileReport() {}

    /** Prints the table of {@code entries}, the operations of {@code result}'s timed repetitions. */
    public static void print(PrintWriter out, BenchResult result, List<ProfilingBackend.Entry> entries) {
        long tokens = (long) result.test().tokens() * result.samplesNs().size();
        long wall = result.samplesNs().stream().mapToLong(Long::longValue).sum();
        out.printf(Locale.ROOT, "%nprofile of %s: %d repetitions, %d tokens, %.3f s (each operation is followed by "
                + "a synchronize)%n", result.test().name(), result.samplesNs().size(), tokens, wall / 1e9);
        String outside = "(outside the backend's operations)";
        int width = entries.stream().mapToInt(e -> e.operation().length()).max().orElse(0);
        width = Math.max(width, outside.length() + 8);
        String row = "| %-" + width + "s | %12s | %12s | %5s | %5s |%n";
        out.printf(Locale.ROOT, row, "operation", "calls/token", "µs/call", "GB/s", "share");
        out.println("| :" + "-".repeat(width - 1) + " | -----------: | -----------: | ----: | ----: |");
        long inOperations = 0;
        for (ProfilingBackend.Entry e : entries) {
            inOperations += e.nanos();
            double perSecond = e.weightGigabytesPerSecond();
            out.printf(Locale.ROOT, row, e.operation(), String.format(Locale.ROOT, "%.2f", (double) e.calls() / tokens),
                    String.format(Locale.ROOT, "%.1f", e.microsPerCall()),
                    perSecond == 0 ? "" : String.format(Locale.ROOT, "%.1f", perSecond), percent(e.nanos(), wall));
        }
        out.printf(Locale.ROOT, row, outside, "", "", "", percent(Math.max(0, wall - inOperations), wall));
        out.flush();
    }

    private static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }
}
