package org.ristretto.core.backend;

/**
 * A backend failed in a way the user must hear about: no runtime, a kernel that does not build (the message holds
 * the build log), not enough device memory (needed and free), a lost device.
 */
public class BackendException extends RuntimeException {

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
