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
        out.println("| operation                                  |  calls/token |      µs/call |  GB/s | share |");
        out.println("| :----------------------------------------- | -----------: | -----------: | ----: | ----: |");
        long inOperations = 0;
        for (ProfilingBackend.Entry e : entries) {
            inOperations += e.nanos();
            double perSecond = e.weightGigabytesPerSecond();
            out.printf(Locale.ROOT, "| %-42s | %12.2f | %12.1f | %5s | %4.1f%% |%n", e.operation(),
                    (double) e.calls() / tokens, e.microsPerCall(),
                    perSecond == 0 ? "" : String.format(Locale.ROOT, "%.1f", perSecond), 100.0 * e.nanos() / wall);
        }
        out.printf(Locale.ROOT, "| %-42s | %12s | %12s | %5s | %4.1f%% |%n", "(outside the backend's operations)",
                "", "", "", 100.0 * Math.max(0, wall - inOperations) / wall);
        out.flush();
    }
}
