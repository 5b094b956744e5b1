package org.ristretto.core.sampling;

/**
 * How the next token is chosen from the logits: llama.cpp's sampler settings with llama.cpp's defaults.
 *
 * <p>The stages run in llama.cpp's default order (see {@link Sampler}): repetition penalties, top-k, top-p, min-p,
 * temperature, then a seeded draw. Each stage has a neutral value that switches it off: {@code topK = 0},
 * {@code topP = 1}, {@code minP = 0}, {@code repeatPenalty = 1}, {@code frequencyPenalty = presencePenalty = 0},
 * {@code penaltyLastN = 0}. A temperature of zero or below means greedy decoding.
 *
 * @param temperature      divides the logits before the draw; {@code <= 0} picks the most likely token (greedy)
 * @param topK             keep the {@code topK} most likely tokens; 0 keeps all
 * @param topP             keep the smallest set of most likely tokens whose probabilities add up to at least
 *                         {@code topP}; in (0, 1], 1 keeps all
 * @param minP             drop tokens whose probability is below {@code minP} times the largest probability; in
 *                         [0, 1], 0 keeps all
 * @param repeatPenalty    for tokens among the last {@code penaltyLastN}: positive logits are divided by it,
 *                         negative ones multiplied; above 0, 1 is off
 * @param frequencyPenalty subtracted from a recent token's logit once per occurrence in the window
 * @param presencePenalty  subtracted once from the logit of every token present in the window
 * @param penaltyLastN     how many of the most recent tokens the penalties look at; 0 switches penalties off
 * @param minKeep          top-p and min-p keep at least this many tokens (llama.cpp's {@code min_keep})
 * @param seed             the seed of the draw; {@link #RANDOM_SEED} picks one at random when a sampler is built
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             float frequencyPenalty, float presencePenalty, int penaltyLastN, int minKeep,
                             long seed) {

    /** The seed value that asks for a random seed, as llama.cpp's {@code LLAMA_DEFAULT_SEED} does. */
    public static final long RANDOM_SEED = -1L;

    /** Rejects settings that have no meaning, naming the field, the value and the allowed range. */
    public SamplingParams {
        if (!Float.isFinite(temperature)) {
            throw invalid("temperature", temperature, "a finite number (0 or below means greedy)");
        }
        if (topK < 0) {
            throw invalid("topK", topK, "0 (off) or a positive count");
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw invalid("topP", topP, "in (0, 1] (1 is off)");
        }
        if (!(minP >= 0f && minP <= 1f)) {
            throw invalid("minP", minP, "in [0, 1] (0 is off)");
        }
        if (!(repeatPenalty > 0f) || !Float.isFinite(repeatPenalty)) {
            throw invalid("repeatPenalty", repeatPenalty, "a finite number above 0 (1 is off)");
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw invalid("frequencyPenalty", frequencyPenalty, "a finite number (0 is off)");
        }
        if (!Float.isFinite(presencePenalty)) {
            throw invalid("presencePenalty", presencePenalty, "a finite number (0 is off)");
        }
        if (penaltyLastN < 0) {
            throw invalid("penaltyLastN", penaltyLastN, "0 (off) or a positive count of recent tokens");
        }
        if (minKeep < 0) {
            throw invalid("minKeep", minKeep, "0 or a positive count");
        }
    }

    private static IllegalArgumentException invalid(String field, Object value, String expected) {
        return new IllegalArgumentException("sampling parameter " + field + " = " + value + " is invalid: expected "
                + expected);
    }

    /**
     * llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1.0 (off), frequency
     * and presence penalties 0, last-n 64, min-keep 0, a random seed.
     */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.0f, 0f, 0f, 64, 0, RANDOM_SEED);
    }

    /** Greedy decoding: always the most likely token, no penalties. */
    public static SamplingParams greedy() {
        return defaults().withTemperature(0f);
    }

    /** Whether this picks the most likely token instead of drawing. */
    public boolean isGreedy() {
        return temperature <= 0f;
    }

    /** Whether any repetition penalty is active. */
    public boolean hasPenalties() {
        return penaltyLastN > 0 && (repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f);
    }

    /** A copy with another temperature. */
    public SamplingParams withTemperature(float value) {
        return new SamplingParams(value, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, minKeep, seed);
    }

    /** A copy with another top-k (0 is off). */
    public SamplingParams withTopK(int value) {
        return new SamplingParams(temperature, value, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, minKeep, seed);
    }

    /** A copy with another top-p (1 is off). */
    public SamplingParams withTopP(float value) {
        return new SamplingParams(temperature, topK, value, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, minKeep, seed);
    }

    /** A copy with another min-p (0 is off). */
    public SamplingParams withMinP(float value) {
        return new SamplingParams(temperature, topK, topP, value, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, minKeep, seed);
    }

    /** A copy with other repetition penalties over another window. */
    public SamplingParams withPenalties(float repeat, float frequency, float presence, int lastN) {
        return new SamplingParams(temperature, topK, topP, minP, repeat, frequency, presence, lastN, minKeep, seed);
    }

    /** A copy with another min-keep. */
    public SamplingParams withMinKeep(int value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, value, seed);
    }

    /** A copy with another seed ({@link #RANDOM_SEED} for a random one). */
    public SamplingParams withSeed(long value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, minKeep, value);
    }
}
