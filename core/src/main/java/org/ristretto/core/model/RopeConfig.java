package org.ristretto.core.model;

import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.gguf.GgufMetadata;

/**
 * A model's rotary position embedding, resolved from GGUF metadata into the parameters of ggml's
 * {@code ggml_rope_ext} exactly as llama.cpp resolves them (llama-model.cpp's hyperparameters, then
 * llama-context.cpp's YaRN defaults):
 * <ul>
 *   <li>{@code <arch>.rope.scaling.type}: {@code none}, {@code linear} (the default when absent) or {@code yarn};</li>
 *   <li>{@code freqScale = 1 / <arch>.rope.scaling.factor} (or the older {@code rope.scale_linear}), 1 when absent
 *       or when the type is {@code none};</li>
 *   <li>YaRN: {@code extFactor = 1} unless {@code rope.scaling.yarn_ext_factor} says otherwise, and an attention factor
 *       that cancels the {@code 1 + 0.1 ln(1/freqScale)} ggml applies, times the magnitude correction
 *       {@code get_mscale} (with {@code rope.scaling.yarn_log_multiplier} when present);</li>
 *   <li>{@code rope.scaling.attn_factor} multiplies the attention factor; beta fast/slow default to 32 and 1;
 *       the original context defaults to the training context.</li>
 * </ul>
 * Llama 3.1's frequency factors are not metadata: they are the {@code rope_freqs.weight} tensor, passed to
 * {@link #toSpec}.
 *
 * @param dims the number of leading dimensions of each head that are rotated
 */
public record RopeConfig(RopeLayout layout, int dims, float freqBase, float freqScale, float extFactor,
                         float attnFactor, float betaFast, float betaSlow, int originalContext) {

    /** The backend's RoPE parameters, with {@code freqFactors} (may be null) as the per-pair divisors. */
    public RopeSpec toSpec(Tensor freqFactors) {
        return new RopeSpec(layout, dims, freqBase, freqScale, freqFactors, extFactor, attnFactor, betaFast,
                betaSlow, originalContext);
    }

    /** Reads the RoPE keys of {@code arch} from {@code md}. */
    static RopeConfig read(GgufMetadata md, String source, Architecture arch, int headDim, int trainContext) {
        String p = arch.ggufName() + ".";
        int dims = ModelConfig.positiveInt(md, source, p + "rope.dimension_count", headDim);
        if (dims % 2 != 0 || dims > headDim) {
            throw new ModelFormatException(source + ": metadata key '" + p + "rope.dimension_count' = " + dims
                    + " should be even and at most the head size " + headDim);
        }
        if (arch == Architecture.LLAMA && dims != headDim) {
            throw new ModelFormatException(source + ": metadata key '" + p + "rope.dimension_count' = " + dims
                    + " should equal the head size " + headDim + " for llama");
        }
        float freqBase = md.getFloat(p + "rope.freq_base", 10000f);
        if (!(freqBase > 0)) {
            throw new ModelFormatException(source + ": metadata key '" + p + "rope.freq_base' = " + freqBase
                    + " should be positive");
        }
        String type = md.findString(p + "rope.scaling.type").orElse("linear");
        if (!type.equals("none") && !type.equals("linear") && !type.equals("yarn")) {
            throw new ModelFormatException(source + ": metadata key '" + p + "rope.scaling.type' = '" + type
                    + "' is not supported (none, linear or yarn)");
        }
        float factor = md.contains(p + "rope.scaling.factor") ? md.getFloat(p + "rope.scaling.factor")
                : md.getFloat(p + "rope.scale_linear", 0f);
        if (factor < 0 || Float.isNaN(factor)) {
            throw new ModelFormatException(source + ": metadata key '" + p + "rope.scaling.factor' = " + factor
                    + " should be positive");
        }
        float freqScale = factor == 0f || type.equals("none") ? 1f : 1f / factor;

        float extFactor = md.getFloat(p + "rope.scaling.yarn_ext_factor", -1f);
        if (extFactor < 0) {
            extFactor = type.equals("yarn") ? 1f : 0f;
        }
        float attnFactor = md.getFloat(p + "rope.scaling.yarn_attn_factor", 1f);
        if (extFactor != 0) {
            float f = 1f / freqScale;
            float logMul = md.getFloat(p + "rope.scaling.yarn_log_multiplier", 0f);
            attnFactor = logMul != 0 ? mscale(f, 1f) / mscale(f, logMul) : mscale(f, 1f);
            // ggml multiplies cos and sin by 1 + 0.1 ln(1/freqScale) whenever extFactor != 0; cancel it here.
            attnFactor *= 1.0f / (1.0f + 0.1f * (float) Math.log(f));
        }
        attnFactor *= md.getFloat(p + "rope.scaling.attn_factor", 1f);
        float betaFast = md.getFloat(p + "rope.scaling.yarn_beta_fast", 32f);
        float betaSlow = md.getFloat(p + "rope.scaling.yarn_beta_slow", 1f);
        // llama.cpp reads 0 as "not set" and falls back to the training context.
        String origKey = p + "rope.scaling.original_context_length";
        int originalContext = md.contains(origKey) && md.getLong(origKey) == 0 ? trainContext
                : ModelConfig.positiveInt(md, source, origKey, trainContext);
        return new RopeConfig(arch.ropeLayout(), dims, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow,
                originalContext);
    }

    /** YaRN's magnitude correction {@code 0.1 m ln(s) + 1} for scale factors above 1. */
    private static float mscale(float scale, float m) {
        return scale <= 1f ? 1f : 0.1f * m * (float) Math.log(scale) + 1f;
    }
}
