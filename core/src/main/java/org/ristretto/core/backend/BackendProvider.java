package org.ristretto.core.backend;

/**
 * A backend implementation found through {@link java.util.ServiceLoader}; each backend module registers one in
 * {@code META-INF/services/org.ristretto.core.backend.BackendProvider}.
 *
 * <p>{@link #probe()} must never throw: a missing driver, a native library that does not load
 * ({@link UnsatisfiedLinkError}) or a runtime without devices is reported as {@link Probe#unavailable}.
 */
public interface BackendProvider {

    /** The name users pass to {@code --backend}: "cpu", "opencl" or "cuda". */
    String name();

    /** Looks for usable devices; cheap enough to call at start-up, never throws. */
    Probe probe();

    /**
     * Opens the backend on one device.
     *
     * @throws BackendException when the device cannot be opened (the message says why)
     */
    Backend open(BackendOptions options);
}
