package org.ristretto.core.convert;

import java.nio.file.Path;

/**
 * A llama2.c checkpoint or tokenizer file that cannot be converted: names the file, the byte offset where the problem
 * was found and what was expected there.
 */
public final class Llama2cFormatException extends RuntimeException {
    private final transient Path file;
    private final long offset;

    /**
     * @param file    the file being read
     * @param offset  the byte offset of the problem
     * @param problem what was expected and what was found
     */
    public Llama2cFormatException(Path file, long offset, String problem) {
        super(file + ": at byte " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    /** The file that could not be converted. */
    public Path file() {
        return file;
    }

    /** The byte offset of the problem. */
    public long offset() {
        return offset;
    }
}
