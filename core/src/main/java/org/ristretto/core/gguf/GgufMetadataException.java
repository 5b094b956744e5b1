package org.ristretto.core.gguf;

/** A metadata key that a reader needs is missing, or holds a value of another type or range than expected. */
public final class GgufMetadataException extends RuntimeException {
    /** @param message names the source, the key and what was expected */
    public GgufMetadataException(String message) {
        super(message);
    }
}
