package org.ristretto.core.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.testutil.SharedModels;

/** Loads tokenizers from the shared test GGUFs once per test run (the large vocabularies take a moment). */
final class TokenizerFixtures {
    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private TokenizerFixtures() {}

    /** The tokenizer of {@code ../shared/models/relative}; skips the test when the file is absent. */
    static Tokenizer load(String relative) {
        Path p = SharedModels.require(relative);
        return CACHE.computeIfAbsent(relative, r -> {
            try (GgufFile f = GgufFile.open(p)) {
                return Tokenizer.fromGguf(f.metadata());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
