package org.ristretto.core.backend;

import org.ristretto.core.quant.GgmlType;

/**
 * The shape of a key/value cache: for every layer, {@code contextLength} positions of {@code kvHeads × headDim} keys
 * and as many values, stored as {@code type} (F16 by default; F32 or Q8_0 on request).
 */
public record KvCacheSpec(int layers, int contextLength, int kvHeads, int headDim, GgmlType type) {

    public KvCacheSpec {
        if (layers < 1 || contextLength < 1 || kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("KV cache dimensions must be positive: layers=" + layers
                    + " context=" + contextLength + " kvHeads=" + kvHeads + " headDim=" + headDim);
        }
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.Q8_0) {
            throw new IllegalArgumentException("KV cache type must be f32, f16 or q8_0, got " + type.ggmlName());
        }
        if (type == GgmlType.Q8_0 && headDim % type.blockSize() != 0) {
            throw new IllegalArgumentException("a q8_0 KV cache needs a head size that is a multiple of "
                    + type.blockSize() + ", got " + headDim);
        }
    }

    /** Bytes the cache needs on its device: keys and values for every layer and position. */
    public long bytes() {
        long perRow = type.byteSize((long) kvHeads * headDim);
        return 2L * layers * contextLength * perRow;
    }
}
