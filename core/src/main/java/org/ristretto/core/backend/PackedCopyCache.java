package org.ristretto.core.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A folder where a backend may keep its packed copies of one model's weights ({@link WeightPacking}) between runs, so
 * that a later run maps them from a file instead of packing again: no copying and no fresh memory before the first
 * token, only the pages a product reads. The copies take about the model's size again on disk, one file per model.
 *
 * @param directory    where the copies are kept (made when missing)
 * @param model        the model file, absolute: it names the copies' file
 * @param modelVersion the model file's size and modification time, so that a changed or replaced file is not given
 *                     the copies of its earlier content
 * @param notes        where the backend reports what it did with the cache and why it could not use it (a broken or
 *                     outdated file, a full disk); the run then goes on packing in memory
 */
public record PackedCopyCache(Path directory, Path model, String modelVersion, Consumer<String> notes) {

    public PackedCopyCache {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(notes, "notes");
    }

    /**
     * The cache in {@code directory} for the model file {@code model}.
     *
     * @throws IOException where the model file's size or modification time cannot be read
     */
    public static PackedCopyCache forModel(Path directory, Path model, Consumer<String> notes) throws IOException {
        Path file = model.toAbsolutePath().normalize();
        String version = Files.size(file) + " bytes, modified " + Files.getLastModifiedTime(file).toMillis();
        return new PackedCopyCache(directory, file, version, notes);
    }
}
