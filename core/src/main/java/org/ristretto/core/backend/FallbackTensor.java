package org.ristretto.core.backend;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * A tensor of a {@link FallbackBackend}: the real tensor, made by either the primary or the CPU backend, and which of
 * the two owns it. A weight also keeps its GGUF bytes on the host, so an operation the primary lacks can run on a CPU
 * tensor that wraps them (no copy, made on first need) instead of reading the weight back from the device.
 */
final class FallbackTensor implements Tensor {
    private final FallbackBackend backend;
    private final Tensor inner;
    private final boolean onPrimary;
    private final MemorySegment hostData;
    private Tensor hostWeight;

    /**
     * @param hostData a weight's GGUF bytes (the model file's mapping), or null for an activation
     */
    FallbackTensor(FallbackBackend backend, Tensor inner, boolean onPrimary, MemorySegment hostData) {
        this.backend = backend;
        this.inner = inner;
        this.onPrimary = onPrimary;
        this.hostData = hostData;
    }

    /** The tensor of the backend that owns it. */
    Tensor inner() {
        return inner;
    }

    /** Whether the primary (device) backend owns the real tensor; otherwise the CPU backend does. */
    boolean onPrimary() {
        return onPrimary;
    }

    /** Whether this is a weight (its bytes are on the host), not an activation. */
    boolean isWeight() {
        return hostData != null;
    }

    /** The weight's GGUF bytes on the host, or null for an activation. */
    MemorySegment hostData() {
        return hostData;
    }

    /** A CPU tensor over this weight's host bytes: the real tensor when the CPU owns it, else a wrap made once. */
    Tensor hostWeight(Backend cpu) {
        if (!onPrimary) {
            return inner;
        }
        if (hostWeight == null) {
            hostWeight = cpu.weight(inner.name(), inner.type(), inner.columns(), inner.rows(), hostData);
        }
        return hostWeight;
    }

    /** The CPU wrap made by {@link #hostWeight}, or null. */
    Tensor hostWeightIfMade() {
        return hostWeight;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public GgmlType type() {
        return inner.type();
    }

    @Override
    public int columns() {
        return inner.columns();
    }

    @Override
    public int rows() {
        return inner.rows();
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String toString() {
        return inner + " on " + (onPrimary ? backend.primary().name() : "cpu");
    }
}
