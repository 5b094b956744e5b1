package org.ristretto.core.sampling;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the next token from a row of logits, in llama.cpp's default chain order: repetition penalties, top-k,
 * top-p, min-p, temperature, then a seeded draw from the softmax of what is left.
 *
 * <p>Top-p and min-p see the probabilities before temperature, as in llama.cpp, so the temperature only reshapes the
 * distribution among the tokens the truncation stages kept. A temperature of zero or below is greedy: the token with
 * the largest (penalized) logit, the lowest id on a tie, with no draw; the truncation stages cannot change that
 * choice, so they are skipped.
 *
 * <p>The penalties look at the tokens given to {@link #accept}; {@link #sample} does not accept by itself, so a
 * generation loop calls {@code accept} with each token it keeps (and, like llama.cpp, may accept the prompt tokens
 * first). The same seed, the same accepted tokens and the same logits give the same token. Buffers are sized to the
 * vocabulary once; a step allocates nothing.
 *
 * <p>Not thread-safe: one sampler per generation.
 */
public final class Sampler {
    private final SamplingParams params;
    private final int vocabSize;
    private final long seed;
    private final Penalties penalties;
    private final Candidates candidates;
    private final float[] work;
    private SplittableRandom rng;

    /**
     * @param params    the settings
     * @param vocabSize the length of every logits row this sampler will see
     */
    public Sampler(SamplingParams params, int vocabSize) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabulary size must be positive, not " + vocabSize);
        }
        this.params = params;
        this.vocabSize = vocabSize;
        this.seed = params.seed() == SamplingParams.RANDOM_SEED ? ThreadLocalRandom.current().nextLong() : params.seed();
        this.penalties = new Penalties(params, vocabSize);
        this.candidates = new Candidates(vocabSize);
        this.work = new float[vocabSize];
        this.rng = new SplittableRandom(seed);
    }

    /** The settings this sampler was built with. */
    public SamplingParams params() {
        return params;
    }

    /** The seed in use: the one asked for, or the one picked when {@link SamplingParams#RANDOM_SEED} was given. */
    public long seed() {
        return seed;
    }

    /**
     * Chooses a token. The array is read, never changed.
     *
     * @param logits one logit per token id, {@code vocabSize} of them
     * @return the chosen token id
     * @throws IllegalArgumentException if the row has the wrong length, holds a NaN, or is all negative infinity
     */
    public int sample(float[] logits) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("expected " + vocabSize + " logits but got " + logits.length);
        }
        if (params.isGreedy() && !params.hasPenalties()) {
            return argmax(checked(logits)); // nothing to change: no copy
        }
        System.arraycopy(checked(logits), 0, work, 0, vocabSize);
        if (params.hasPenalties()) {
            penalties.apply(work);
        }
        if (params.isGreedy()) {
            return argmax(work);
        }
        candidates.reset(work);
        candidates.topK(params.topK());
        candidates.topP(params.topP(), params.minKeep());
        candidates.minP(params.minP(), params.minKeep());
        candidates.temperature(params.temperature());
        return candidates.draw(rng);
    }

    /** Returns the row after checking that it holds no NaN and not only negative infinities. */
    private static float[] checked(float[] logits) {
        boolean nan = false;
        boolean anyFinite = false;
        for (float l : logits) {
            nan |= l != l;
            anyFinite |= l > Float.NEGATIVE_INFINITY;
        }
        if (nan) {
            for (int i = 0; i < logits.length; i++) {
                if (Float.isNaN(logits[i])) {
                    throw new IllegalArgumentException("logit of token " + i + " is NaN");
                }
            }
        }
        if (!anyFinite) {
            throw new IllegalArgumentException("every logit is -infinity: no token can be chosen");
        }
        return logits;
    }

    /** Adds a token to the history the repetition penalties look at (only the last {@code penaltyLastN} count). */
    public void accept(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        penalties.accept(token);
    }

    /** Forgets the accepted tokens and restarts the random sequence from the seed. */
    public void reset() {
        penalties.clear();
        rng = new SplittableRandom(seed);
    }

    /** The index of the largest value, the lowest index on a tie. */
    static int argmax(float[] values) {
        int best = 0;
        float bestValue = values[0];
        for (int i = 1; i < values.length; i++) {
            if (values[i] > bestValue) {
                best = i;
                bestValue = values[i];
            }
        }
        return best;
    }
}
