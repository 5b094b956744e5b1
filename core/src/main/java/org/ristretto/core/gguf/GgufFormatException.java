package org.ristretto.core.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be read: it names the file, the byte offset where reading failed and what was expected
 * there. Every defect of a file's content surfaces as this one exception type.
 */
public final class GgufFormatException extends RuntimeException {
    private final transient Path file;
    private final long offset;

    /**
     * @param file    the file being read (may be null for in-memory data)
     * @param offset  the byte offset the problem was found at
     * @param problem what was expected and what was found
     */
    public GgufFormatException(Path file, long offset, String problem) {
        super((file == null ? "<memory>" : file.toString()) + ": at byte " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    /** The file that failed to read, or null when reading from memory. */
    public Path file() {
        return file;
    }

    /** The byte offset at which reading failed. */
    public long offset() {
        return offset;
    }
}
