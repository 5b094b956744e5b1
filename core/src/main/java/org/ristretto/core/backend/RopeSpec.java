package org.ristretto.core.backend;

/**
 * Rotary position embedding parameters with exactly the meaning of ggml's {@code ggml_rope_ext}.
 *
 * <p>For pair {@code i} (of {@code dims/2}) at position {@code p}: {@code theta = p * freqBase^(-2i/dims)}, divided by
 * {@code freqFactors[i]} when that tensor is present (Llama 3's {@code rope_freqs}), then corrected by YaRN:
 * {@code freqScale} interpolates, {@code extFactor} mixes in extrapolation over the ramp between
 * {@code betaFast} and {@code betaSlow} (computed against {@code originalContext}), and {@code attnFactor} scales the
 * sine and cosine (with YaRN's {@code 1 + 0.1 ln(1/freqScale)} when {@code extFactor != 0}). Linear scaling is
 * {@code freqScale = 1/factor, extFactor = 0}; no scaling is {@code freqScale = 1, extFactor = 0, attnFactor = 1}.
 * Dimensions at and beyond {@code dims} within a head pass through unchanged.
 *
 * @param freqFactors per-pair divisors ({@code dims/2} F32 values) or {@code null}
 */
public record RopeSpec(RopeLayout layout, int dims, float freqBase, float freqScale, Tensor freqFactors,
                       float extFactor, float attnFactor, float betaFast, float betaSlow, int originalContext) {

    public RopeSpec {
        if (dims < 2 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dimensions must be even and >= 2, got " + dims);
        }
        if (!(freqBase > 0) || !(freqScale > 0)) {
            throw new IllegalArgumentException("rope frequency base and scale must be positive: base=" + freqBase
                    + " scale=" + freqScale);
        }
    }

    /** Plain RoPE without scaling. */
    public static RopeSpec plain(RopeLayout layout, int dims, float freqBase) {
        return new RopeSpec(layout, dims, freqBase, 1f, null, 0f, 1f, 32f, 1f, 0);
    }
}
