package org.ristretto.core.model;

import org.ristretto.core.quant.GgmlType;

/**
 * How a {@link Transformer} sizes its KV cache and batches.
 *
 * @param contextLength positions the KV cache holds; 0 picks {@code min(model context, }{@value #DEFAULT_MAX_CONTEXT}{@code )}
 * @param batchSize     the most tokens one matrix×matrix step processes during prefill (longer prompts are split)
 * @param kvCacheType   the KV cache element type: F16 (default), F32 or Q8_0
 */
public record TransformerOptions(int contextLength, int batchSize, GgmlType kvCacheType) {

    /** The default prefill batch size. */
    public static final int DEFAULT_BATCH_SIZE = 512;
    /** The largest context a default-sized cache gets. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    public TransformerOptions {
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must be >= 0 (0 = default), got " + contextLength);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (kvCacheType != GgmlType.F16 && kvCacheType != GgmlType.F32 && kvCacheType != GgmlType.Q8_0) {
            throw new IllegalArgumentException("KV cache type must be f16, f32 or q8_0, got "
                    + (kvCacheType == null ? "null" : kvCacheType.ggmlName()));
        }
    }

    /** Default context, batches of {@value #DEFAULT_BATCH_SIZE}, an F16 cache. */
    public static TransformerOptions defaults() {
        return new TransformerOptions(0, DEFAULT_BATCH_SIZE, GgmlType.F16);
    }

    public TransformerOptions withContextLength(int contextLength) {
        return new TransformerOptions(contextLength, batchSize, kvCacheType);
    }

    public TransformerOptions withBatchSize(int batchSize) {
        return new TransformerOptions(contextLength, batchSize, kvCacheType);
    }

    public TransformerOptions withKvCacheType(GgmlType kvCacheType) {
        return new TransformerOptions(contextLength, batchSize, kvCacheType);
    }

    /** The context length to use for a model trained with {@code modelContext} positions. */
    public int resolveContextLength(int modelContext) {
        return contextLength > 0 ? contextLength : Math.min(modelContext, DEFAULT_MAX_CONTEXT);
    }
}
