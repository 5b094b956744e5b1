package org.ristretto.core.model;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.ristretto.core.backend.RopeLayout;

/**
 * The model architectures Ristretto runs, named as GGUF's {@code general.architecture} names them. They share one
 * forward pass; they differ only in the features below (as llama.cpp's llama-model.cpp builds them).
 */
public enum Architecture {
    /** Llama 2/3/3.1/3.2 and Mistral-style files: interleaved-pair RoPE, optional Q/K/V biases and rope_freqs. */
    LLAMA("llama", RopeLayout.NORMAL, false, false, true),
    /** Qwen2 and Qwen2.5: NeoX RoPE and required Q/K/V biases. */
    QWEN2("qwen2", RopeLayout.NEOX, true, false, false),
    /** Qwen3: NeoX RoPE and per-head RMS norms of Q and K before RoPE. */
    QWEN3("qwen3", RopeLayout.NEOX, false, true, false);

    private final String ggufName;
    private final RopeLayout ropeLayout;
    private final boolean qkvBias;
    private final boolean qkNorm;
    private final boolean ropeFreqs;

    Architecture(String ggufName, RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm, boolean ropeFreqs) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
        this.ropeFreqs = ropeFreqs;
    }

    /** The value of {@code general.architecture}, also the prefix of the architecture's metadata keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Which dimensions RoPE rotates together. */
    public RopeLayout ropeLayout() {
        return ropeLayout;
    }

    /** Whether the Q, K and V projections must have bias vectors ({@code blk.N.attn_q.bias} ...). */
    public boolean requiresQkvBias() {
        return qkvBias;
    }

    /** Whether Q and K are RMS-normalized per head before RoPE ({@code blk.N.attn_q_norm.weight} ...). */
    public boolean hasQkNorm() {
        return qkNorm;
    }

    /** Whether an optional {@code rope_freqs.weight} tensor (Llama 3.1 frequency factors) is honoured. */
    public boolean usesRopeFreqs() {
        return ropeFreqs;
    }

    /**
     * The architecture with this GGUF name.
     *
     * @throws ModelFormatException naming the architecture and the supported ones
     */
    public static Architecture fromGguf(String name, String source) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new ModelFormatException(source + ": unsupported architecture '" + name + "' (general.architecture); "
                + "supported: " + Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", ")));
    }
}
