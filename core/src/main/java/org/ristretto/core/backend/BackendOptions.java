package org.ristretto.core.backend;

/**
 * How to open a backend.
 *
 * @param deviceIndex which of the probe's devices to use
 * @param threads     host worker threads (the CPU backend's pool size; other backends use it for host-side work)
 */
public record BackendOptions(int deviceIndex, int threads) {

    public BackendOptions {
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + deviceIndex);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** The first device and one thread per available processor. */
    public static BackendOptions defaults() {
        return new BackendOptions(0, Runtime.getRuntime().availableProcessors());
    }
}
