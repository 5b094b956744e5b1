package org.ristretto.opencl;

import java.util.ArrayList;
import java.util.List;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;

/**
 * A KV cache in device memory: per layer one key and one value buffer of {@code contextLength} positions, each
 * position {@code kvHeads x headDim} values of the cache type (the layout attention.cl reads). One buffer per layer
 * keeps every allocation well under a device's single-buffer limit.
 */
final class OpenClKvCache implements KvCache {
    private final KvCacheSpec spec;
    private final OpenClBackend backend;
    private final List<DeviceBuffer> keys = new ArrayList<>();
    private final List<DeviceBuffer> values = new ArrayList<>();

    OpenClKvCache(KvCacheSpec spec, OpenClBackend backend, OpenClRuntime runtime) {
        this.spec = spec;
        this.backend = backend;
        long layerBytes = spec.type().byteSize((long) spec.contextLength() * spec.kvHeads() * spec.headDim());
        try {
            for (int l = 0; l < spec.layers(); l++) {
                keys.add(runtime.allocate(layerBytes, "KV cache keys of layer " + l));
                values.add(runtime.allocate(layerBytes, "KV cache values of layer " + l));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    OpenClBackend backend() {
        return backend;
    }

    DeviceBuffer keys(int layer) {
        return keys.get(layer);
    }

    DeviceBuffer values(int layer) {
        return values.get(layer);
    }

    @Override
    public void close() {
        keys.forEach(DeviceBuffer::close);
        values.forEach(DeviceBuffer::close);
        keys.clear();
        values.clear();
    }
}
