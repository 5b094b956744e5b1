package org.ristretto.opencl;

/**
 * ggml's {@code ggml_rope_ext} reduced to what the rope kernel needs: pair {@code i} at position {@code p} turns by
 * {@code p * perPair[i]}, and its cosine and sine are scaled by {@code mscale}.
 *
 * <p>In ggml, {@code theta_extrap = p * base^(-2i/dims) / factor[i]} and YaRN mixes interpolation
 * ({@code freqScale * theta_extrap}) with extrapolation by a ramp that depends on {@code i} alone, so the mix folds into
 * one per-pair multiplier computed here once, in double precision.
 *
 * @param perPair radians per position for each of the {@code dims / 2} pairs
 * @param mscale  the magnitude of cosine and sine ({@code attnFactor}, times YaRN's correction when it applies)
 */
public record RopeFrequencies(float[] perPair, float mscale) {

    /**
     * The frequencies for the given {@code ggml_rope_ext} parameters.
     *
     * @param factors per-pair divisors ({@code dims / 2} values, llama 3's {@code rope_freqs}) or null
     */
    public static RopeFrequencies of(int dims, double base, double freqScale, float[] factors, double extFactor,
            double attnFactor, double betaFast, double betaSlow, int originalContext) {
        if (dims < 2 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dimensions must be even and >= 2, got " + dims);
        }
        if (factors != null && factors.length < dims / 2) {
            throw new IllegalArgumentException("rope frequency factors: need " + dims / 2 + " values, got "
                    + factors.length);
        }
        double low = 0;
        double high = 0;
        if (extFactor != 0) {
            low = Math.max(0, Math.floor(correctionDim(dims, originalContext, betaFast, base)));
            high = Math.min(dims - 1, Math.ceil(correctionDim(dims, originalContext, betaSlow, base)));
        }
        float[] perPair = new float[dims / 2];
        for (int i = 0; i < perPair.length; i++) {
            double extrapolated = Math.pow(base, -2.0 * i / dims) / (factors == null ? 1.0 : factors[i]);
            double multiplier = freqScale;
            if (extFactor != 0) {
                double y = (i - low) / Math.max(0.001, high - low);
                double mix = (1 - Math.min(1, Math.max(0, y))) * extFactor;
                multiplier = freqScale * (1 - mix) + mix;
            }
            perPair[i] = (float) (extrapolated * multiplier);
        }
        double mscale = attnFactor * (extFactor != 0 ? 1 + 0.1 * Math.log(1 / freqScale) : 1);
        return new RopeFrequencies(perPair, (float) mscale);
    }

    /** The dimension at which a rotation completes {@code rotations} turns over the original context (YaRN). */
    private static double correctionDim(int dims, int originalContext, double rotations, double base) {
        return dims * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }
}
