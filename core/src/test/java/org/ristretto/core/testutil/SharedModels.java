package org.ristretto.core.testutil;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the outside test data in {@code ../shared/models} (beside the repository checkout). Tests that need a file
 * call {@link #require}, which skips the test with a message naming the missing file when the folder is absent.
 */
public final class SharedModels {
    private SharedModels() {}

    /** The {@code shared/models} folder beside the checkout, searched upwards from the working directory. */
    public static Optional<Path> root() {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 6 && dir != null; i++, dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("models");
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * The file at {@code relative} inside {@code shared/models}; skips the calling test (JUnit assumption) when the
     * folder or the file is absent.
     */
    public static Path require(String relative) {
        Optional<Path> root = root();
        Assumptions.assumeTrue(root.isPresent(),
                "skipped: test data folder ../shared/models is absent, so " + relative + " cannot be read");
        Path p = root.get().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "skipped: test data file ../shared/models/" + relative + " is absent");
        return p;
    }
}
