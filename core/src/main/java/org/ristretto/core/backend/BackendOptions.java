package org.ristretto.core.backend;

/**
 * How to open a backend.
 *
 * @param deviceIndex which of the probe's devices to use
 * @param threads     host worker threads (the CPU backend's pool size; other backends use it for host-side work)
 * @param packing     whether the backend may keep copies of weight matrices in a layout of its own where that makes
 *                    decoding faster, and on which pages ({@link WeightPacking})
 * @param packCache   where those copies are kept between runs, or null to make them in memory on every run
 */
public record BackendOptions(int deviceIndex, int threads, WeightPacking packing, PackedCopyCache packCache) {

    public BackendOptions {
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + deviceIndex);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (packing == null) {
            throw new IllegalArgumentException("packing must not be null");
        }
    }

    /** {@code deviceIndex}, {@code threads} and {@code packing}, with packed copies made in memory on every run. */
    public BackendOptions(int deviceIndex, int threads, WeightPacking packing) {
        this(deviceIndex, threads, packing, null);
    }

    /**
     * {@code deviceIndex} and {@code threads}, with packed weights on huge pages: a library's model usually lives as
     * long as its application, which then decodes a little faster for a slower start.
     */
    public BackendOptions(int deviceIndex, int threads) {
        this(deviceIndex, threads, WeightPacking.PACKED_ON_HUGE_PAGES);
    }

    /** The first device and one thread per available processor. */
    public static BackendOptions defaults() {
        return new BackendOptions(0, Runtime.getRuntime().availableProcessors());
    }
}
