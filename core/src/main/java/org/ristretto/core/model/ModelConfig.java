package org.ristretto.core.model;

import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufTensorInfo;

/**
 * The hyperparameters of a transformer, read from GGUF metadata ({@code general.architecture} and the
 * {@code <arch>.*} keys, as llama.cpp names them).
 *
 * @param architecture      the architecture, which fixes the RoPE layout and the optional parts of a layer
 * @param embeddingLength   the width of the residual stream ({@code <arch>.embedding_length})
 * @param blockCount        the number of layers ({@code <arch>.block_count})
 * @param feedForwardLength the hidden width of the SwiGLU feed-forward network ({@code <arch>.feed_forward_length})
 * @param headCount         query heads ({@code <arch>.attention.head_count})
 * @param headCountKv       key/value heads ({@code <arch>.attention.head_count_kv}, default {@code headCount}); a
 *                          divisor of {@code headCount} (GQA, or MQA when 1)
 * @param headDim           the size of one head ({@code <arch>.attention.key_length}, default
 *                          {@code embeddingLength / headCount}); Qwen3 sets it independently of the embedding
 * @param vocabSize         the number of token ids (rows of {@code token_embd.weight})
 * @param contextLength     the training context ({@code <arch>.context_length})
 * @param rmsEps            the epsilon of every RMS norm ({@code <arch>.attention.layer_norm_rms_epsilon})
 * @param rope              the rotary position embedding
 */
public record ModelConfig(Architecture architecture, int embeddingLength, int blockCount, int feedForwardLength,
                          int headCount, int headCountKv, int headDim, int vocabSize, int contextLength, float rmsEps,
                          RopeConfig rope) {

    public ModelConfig {
        if (embeddingLength < 1 || blockCount < 1 || feedForwardLength < 1 || headCount < 1 || headCountKv < 1
                || headDim < 1 || vocabSize < 1 || contextLength < 1) {
            throw new IllegalArgumentException("model dimensions must be positive: " + describe(embeddingLength,
                    blockCount, feedForwardLength, headCount, headCountKv, headDim, vocabSize, contextLength));
        }
        if (headCount % headCountKv != 0) {
            throw new IllegalArgumentException("head count " + headCount + " is not a multiple of the KV head count "
                    + headCountKv);
        }
    }

    /** The width of all query heads together ({@code headCount × headDim}). */
    public int queryLength() {
        return headCount * headDim;
    }

    /** The width of all key (or value) heads together ({@code headCountKv × headDim}). */
    public int kvLength() {
        return headCountKv * headDim;
    }

    /** The attention score scale {@code 1/sqrt(headDim)}. */
    public float attentionScale() {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    /**
     * Reads the configuration of the model in {@code file}.
     *
     * @throws ModelFormatException  for an unsupported architecture or feature, or a value out of range
     * @throws org.ristretto.core.gguf.GgufMetadataException for a missing or ill-typed required key
     */
    public static ModelConfig read(GgufFile file) {
        String source = file.path() == null ? "<memory>" : file.path().toString();
        GgufMetadata md = file.metadata();
        Architecture arch = Architecture.fromGguf(md.getString("general.architecture"), source);
        String p = arch.ggufName() + ".";
        if (md.contains(p + "expert_count") && md.getLong(p + "expert_count") > 0) {
            throw new ModelFormatException(source + ": metadata key '" + p + "expert_count' = "
                    + md.getLong(p + "expert_count") + ": mixture-of-experts models are not supported");
        }
        int embd = positiveInt(md, source, p + "embedding_length", -1);
        int blocks = positiveInt(md, source, p + "block_count", -1);
        int ffn = positiveInt(md, source, p + "feed_forward_length", -1);
        int heads = positiveInt(md, source, p + "attention.head_count", -1);
        int kvHeads = positiveInt(md, source, p + "attention.head_count_kv", heads);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(source + ": metadata key '" + p + "attention.head_count' = " + heads
                    + " is not a multiple of '" + p + "attention.head_count_kv' = " + kvHeads);
        }
        int defaultHeadDim = embd / heads;
        int headDim = positiveInt(md, source, p + "attention.key_length", defaultHeadDim);
        int valueDim = positiveInt(md, source, p + "attention.value_length", defaultHeadDim);
        if (valueDim != headDim) {
            throw new ModelFormatException(source + ": metadata key '" + p + "attention.value_length' = " + valueDim
                    + " differs from the key length " + headDim + "; separate value head sizes are not supported");
        }
        if (!md.contains(p + "attention.key_length") && embd % heads != 0) {
            throw new ModelFormatException(source + ": metadata key '" + p + "embedding_length' = " + embd
                    + " is not a multiple of the head count " + heads + " and '" + p
                    + "attention.key_length' is absent");
        }
        int context = positiveInt(md, source, p + "context_length", -1);
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon");
        if (!(eps > 0) || eps >= 1) {
            throw new ModelFormatException(source + ": metadata key '" + p + "attention.layer_norm_rms_epsilon' = "
                    + eps + " should be in (0, 1)");
        }
        GgufTensorInfo embedding = file.findTensor("token_embd.weight").orElseThrow(() ->
                new ModelFormatException(source + ": tensor 'token_embd.weight' is missing"));
        if (embedding.rank() != 2 || embedding.dim(0) != embd || embedding.dim(1) > Integer.MAX_VALUE) {
            throw new ModelFormatException(source + ": tensor 'token_embd.weight' has shape "
                    + embedding.shapeString() + ", expected [" + embd + ", vocabulary size]");
        }
        int vocab = (int) embedding.dim(1);
        if (md.contains(p + "vocab_size") && md.getLong(p + "vocab_size") != vocab) {
            throw new ModelFormatException(source + ": metadata key '" + p + "vocab_size' = "
                    + md.getLong(p + "vocab_size") + " but token_embd.weight has " + vocab + " rows");
        }
        RopeConfig rope = RopeConfig.read(md, source, arch, headDim, context);
        return new ModelConfig(arch, embd, blocks, ffn, heads, kvHeads, headDim, vocab, context, eps, rope);
    }

    /** An integer key that must be positive; {@code defaultValue < 0} makes it required. */
    static int positiveInt(GgufMetadata md, String source, String key, int defaultValue) {
        if (!md.contains(key)) {
            if (defaultValue < 0) {
                md.require(key); // throws the standard "required key is missing" error
            }
            return defaultValue;
        }
        long v = md.getLong(key);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new ModelFormatException(source + ": metadata key '" + key + "' = " + v
                    + " should be a positive 32-bit integer");
        }
        return (int) v;
    }

    private static String describe(int embd, int blocks, int ffn, int heads, int kvHeads, int headDim, int vocab,
                                   int ctx) {
        return "embedding=" + embd + " blocks=" + blocks + " ffn=" + ffn + " heads=" + heads + " kvHeads=" + kvHeads
                + " headDim=" + headDim + " vocab=" + vocab + " context=" + ctx;
    }
}
