package org.ristretto.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Finds outside test data in {@code ../shared/models} and the llama.cpp library; skips with a message when absent. */
final class TestData {
    private TestData() {}

    static Path shared(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 6 && dir != null; i++, dir = dir.getParent()) {
            Path p = dir.resolve("shared/models").resolve(relative);
            if (Files.exists(p)) {
                return p;
            }
        }
        Assumptions.abort("skipped: test data ../shared/models/" + relative + " is absent");
        return null;
    }

    /** Skips the calling test where the llama.cpp library cannot run (not Linux x86-64, say). */
    static void assumeLlamaCpp() {
        try {
            LlamaCppNative.get();
        } catch (IllegalStateException | UnsatisfiedLinkError e) {
            Assumptions.abort("skipped: llama.cpp from de.kherud:llama cannot run here: " + e.getMessage());
        }
    }
}
