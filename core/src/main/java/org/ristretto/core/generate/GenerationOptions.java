package org.ristretto.core.generate;

import java.util.List;
import org.ristretto.core.sampling.SamplingParams;

/**
 * What one generation call does.
 *
 * @param sampling  the sampler chain's settings
 * @param maxTokens the most tokens to generate; a negative value means until the context is full
 * @param stops     stop strings, which may span tokens and are never returned
 */
public record GenerationOptions(SamplingParams sampling, int maxTokens, List<String> stops) {

    public GenerationOptions {
        stops = List.copyOf(stops);
    }

    /** llama.cpp's default sampling, up to the end of the context, no stop strings. */
    public static GenerationOptions defaults() {
        return new GenerationOptions(SamplingParams.defaults(), -1, List.of());
    }

    public GenerationOptions withSampling(SamplingParams value) {
        return new GenerationOptions(value, maxTokens, stops);
    }

    public GenerationOptions withMaxTokens(int value) {
        return new GenerationOptions(sampling, value, stops);
    }

    public GenerationOptions withStops(List<String> value) {
        return new GenerationOptions(sampling, maxTokens, value);
    }
}
