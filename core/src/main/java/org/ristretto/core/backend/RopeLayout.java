package org.ristretto.core.backend;

/** Which pairs of a head's dimensions rotary position embedding rotates together. */
public enum RopeLayout {
    /** Adjacent pairs (2i, 2i+1): Llama, Mistral (ggml's mode 0). */
    NORMAL,
    /** Halves (i, i + dims/2): GPT-NeoX, Qwen2, Qwen3 (ggml's mode 2). */
    NEOX
}
