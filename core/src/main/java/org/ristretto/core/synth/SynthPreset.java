package org.ristretto.core.synth;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The hyperparameters of a real model family member, for writing a random-weight model of exactly its shapes.
 *
 * <p>Values are those of the models' published {@code config.json} files (Hugging Face names in brackets):
 *
 * @param name          the preset's name on the command line
 * @param architecture  {@code general.architecture} of the GGUF: {@code llama} or {@code qwen3}
 * @param embedding     [hidden_size]
 * @param layers        [num_hidden_layers]
 * @param heads         [num_attention_heads]
 * @param kvHeads       [num_key_value_heads]
 * @param headDim       [head_dim]
 * @param feedForward   [intermediate_size]
 * @param vocabSize     [vocab_size]: rows of the embedding; 0 takes the vocabulary file's token count (test presets)
 * @param contextLength [max_position_embeddings]
 * @param ropeTheta     [rope_theta]
 * @param ropeScaling   [rope_scaling] of type llama3, if any
 * @param rmsEps        [rms_norm_eps]
 * @param tiedEmbeddings [tie_word_embeddings]: the output projection is the token embedding (no output.weight)
 * @param qkNorm        RMS norms on each head's query and key (Qwen3's q_norm/k_norm)
 */
public record SynthPreset(String name, String architecture, int embedding, int layers, int heads, int kvHeads,
                          int headDim, int feedForward, int vocabSize, int contextLength, float ropeTheta,
                          Optional<Llama3RopeScaling> ropeScaling, float rmsEps, boolean tiedEmbeddings,
                          boolean qkNorm) {

    /**
     * Llama 3.1's RoPE frequency scaling ({@code rope_type: llama3}).
     *
     * @param factor          [factor]
     * @param lowFreqFactor   [low_freq_factor]
     * @param highFreqFactor  [high_freq_factor]
     * @param originalContext [original_max_position_embeddings]
     */
    public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {}

    public SynthPreset {
        if (!architecture.equals("llama") && !architecture.equals("qwen3")) {
            throw new IllegalArgumentException("preset " + name + ": architecture must be llama or qwen3");
        }
        if (embedding <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || feedForward <= 0
                || vocabSize < 0 || contextLength <= 0 || heads % kvHeads != 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("preset " + name + ": inconsistent dimensions");
        }
    }

    private static final Llama3RopeScaling LLAMA_32 = new Llama3RopeScaling(32f, 1f, 4f, 8192);
    private static final Llama3RopeScaling LLAMA_31 = new Llama3RopeScaling(8f, 1f, 4f, 8192);

    /** meta-llama/Llama-3.2-1B. */
    public static final SynthPreset LLAMA_3_2_1B = new SynthPreset("llama-3.2-1b", "llama", 2048, 16, 32, 8, 64,
            8192, 128256, 131072, 500000f, Optional.of(LLAMA_32), 1e-5f, true, false);
    /** meta-llama/Llama-3.2-3B. */
    public static final SynthPreset LLAMA_3_2_3B = new SynthPreset("llama-3.2-3b", "llama", 3072, 28, 24, 8, 128,
            8192, 128256, 131072, 500000f, Optional.of(LLAMA_32), 1e-5f, true, false);
    /** meta-llama/Llama-3.1-8B. */
    public static final SynthPreset LLAMA_3_1_8B = new SynthPreset("llama-3.1-8b", "llama", 4096, 32, 32, 8, 128,
            14336, 128256, 131072, 500000f, Optional.of(LLAMA_31), 1e-5f, false, false);
    /** Qwen/Qwen3-0.6B. */
    public static final SynthPreset QWEN3_0_6B = new SynthPreset("qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 128,
            3072, 151936, 40960, 1_000_000f, Optional.empty(), 1e-6f, true, true);
    /** Qwen/Qwen3-1.7B. */
    public static final SynthPreset QWEN3_1_7B = new SynthPreset("qwen3-1.7b", "qwen3", 2048, 28, 16, 8, 128,
            6144, 151936, 40960, 1_000_000f, Optional.empty(), 1e-6f, true, true);
    /**
     * A four-layer Llama 3 shape for tests: every tensor kind of the real ones, llama3 RoPE scaling, tied
     * embeddings, rows a multiple of 256 so K-quants apply, and the vocabulary file's own size.
     */
    public static final SynthPreset TINY_LLAMA = new SynthPreset("tiny-llama", "llama", 256, 4, 4, 2, 64,
            768, 0, 2048, 500000f, Optional.of(LLAMA_32), 1e-5f, true, false);
    /** A two-layer Qwen3 shape for tests: Q/K norms, head size above embedding / heads, untied output. */
    public static final SynthPreset TINY_QWEN3 = new SynthPreset("tiny-qwen3", "qwen3", 256, 2, 4, 2, 128,
            512, 0, 2048, 1_000_000f, Optional.empty(), 1e-6f, false, true);

    /** Every preset, real models first. */
    public static List<SynthPreset> all() {
        return List.of(LLAMA_3_2_1B, LLAMA_3_2_3B, LLAMA_3_1_8B, QWEN3_0_6B, QWEN3_1_7B, TINY_LLAMA, TINY_QWEN3);
    }

    /**
     * The preset of that name, ignoring case.
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static SynthPreset byName(String name) {
        for (SynthPreset p : all()) {
            if (p.name.equalsIgnoreCase(name.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; known: "
                + String.join(", ", all().stream().map(SynthPreset::name).toList()));
    }

    /** Query heads times head size: the width of the attention output. */
    public int queryWidth() {
        return heads * headDim;
    }

    /** Key/value heads times head size. */
    public int kvWidth() {
        return kvHeads * headDim;
    }

    /** The {@code general.name} written for a file of this preset. */
    String displayName(long seed) {
        return String.format(Locale.ROOT, "synthetic %s (random weights, seed %d)", name, seed);
    }
}
