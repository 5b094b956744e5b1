package org.ristretto.core.chat;

/**
 * A chat template could not be found, read or rendered. The message names the template (a built-in name, a GGUF key
 * and file, or a file path) and what went wrong.
 */
public class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
