package org.ristretto.cli;

import java.io.PrintWriter;
import java.util.List;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.FallbackBackend;

/**
 * Says on stderr which weight types and operations run through the CPU fallback of a device backend: one line
 * listing all of them, printed again only when new ones appeared since the last time.
 */
final class FallbackNotes {
    private final Backend backend;
    private int printed;

    FallbackNotes(Backend backend) {
        this.backend = backend;
    }

    /** Prints "cpu fallback: ..." when the backend has fallbacks not yet printed; nothing otherwise. */
    void print(PrintWriter err) {
        if (!(backend instanceof FallbackBackend fallback)) {
            return;
        }
        List<String> all = fallback.fallbacks();
        if (all.size() > printed) {
            err.println("cpu fallback: " + String.join(", ", all));
            err.flush();
            printed = all.size();
        }
    }
}
