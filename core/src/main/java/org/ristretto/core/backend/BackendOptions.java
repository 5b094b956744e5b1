package org.ristretto.core.backend;

/**
 * How to open a backend.
 *
 * @param deviceIndex which of the probe's devices to use
 * @param threads     host worker threads (the CPU backend's pool size; other backends use it for host-side work)
 * @param packWeights whether the backend may keep copies of weight matrices in a layout of its own where that makes
 *                    decoding faster (the CPU backend does for Q4_0, Q8_0, Q4_K and Q6_K: about the size of those
 *                    weights again in memory, made on first use); false keeps only the file's mapping
 */
public record BackendOptions(int deviceIndex, int threads, boolean packWeights) {

    public BackendOptions {
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + deviceIndex);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** {@code deviceIndex} and {@code threads}, with packed weights allowed. */
    public BackendOptions(int deviceIndex, int threads) {
        this(deviceIndex, threads, true);
    }

    /** The first device and one thread per available processor. */
    public static BackendOptions defaults() {
        return new BackendOptions(0, Runtime.getRuntime().availableProcessors());
    }
}
