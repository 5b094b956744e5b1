package org.ristretto.cli;

import java.util.Locale;

/** Human-readable sizes and counts for command output. */
final class Sizes {
    private Sizes() {}

    /** Bytes in binary units: {@code 1.23 GiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** A count with an SI suffix: {@code 1.24 B}, {@code 260.1 K}. */
    static String count(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.1f K", n / 1e3);
        }
        return Long.toString(n);
    }
}
