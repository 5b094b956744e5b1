package org.ristretto.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How many bytes of packed weight copies a CPU backend may make: three quarters of the memory Linux reports as
 * available ({@code MemAvailable} in {@code /proc/meminfo}) when the backend starts.
 *
 * <p>The copies are anonymous memory on top of the model's mapping (for some types up to twice the size of their
 * matrices in the file), so a large model on a small machine would otherwise be packed until the kernel's
 * out-of-memory killer ends the process. {@code MemAvailable} counts the page cache, which holds the model's mapped
 * pages; the quarter left keeps room for the pages prefill still reads and for the rest of the process. Where the
 * figure cannot be read (not Linux), there is no limit.
 */
final class PackBudget {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private PackBudget() {}

    /** Three quarters of the available memory now, or {@link Long#MAX_VALUE} where it cannot be read. */
    static long fromAvailableMemory() {
        try {
            return fromMeminfo(Files.readAllLines(MEMINFO));
        } catch (IOException | SecurityException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Three quarters of the {@code MemAvailable} line of {@code /proc/meminfo}'s lines, or no limit without one. */
    static long fromMeminfo(List<String> lines) {
        for (String line : lines) {
            if (line.startsWith("MemAvailable:")) {
                String[] fields = line.substring("MemAvailable:".length()).trim().split("\\s+");
                try {
                    long kib = Long.parseLong(fields[0]);
                    return kib / 4 * 3 * 1024;
                } catch (NumberFormatException e) {
                    return Long.MAX_VALUE;
                }
            }
        }
        return Long.MAX_VALUE;
    }
}
