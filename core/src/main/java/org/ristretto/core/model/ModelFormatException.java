package org.ristretto.core.model;

/**
 * A GGUF file does not describe a model Ristretto can run: an unsupported architecture, or a hyperparameter or tensor
 * that is missing, has the wrong type or the wrong shape. The message names the file, the key or tensor, and what was
 * expected.
 */
public final class ModelFormatException extends RuntimeException {

    /** @param message names the file, the key or tensor, and what was expected */
    public ModelFormatException(String message) {
        super(message);
    }
}
