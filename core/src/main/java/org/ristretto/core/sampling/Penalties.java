package org.ristretto.core.sampling;

/**
 * The repetition penalties of llama.cpp over a window of the last N accepted tokens.
 *
 * <p>The window is a ring buffer; a per-token count is kept up to date as tokens enter and leave it, so applying the
 * penalties costs time in the window size, not in the vocabulary size.
 */
final class Penalties {
    private final float repeat;
    private final float frequency;
    private final float presence;
    private final int[] window;
    private final int[] counts;
    private int size;
    private int next;

    Penalties(SamplingParams params, int vocabSize) {
        this.repeat = params.repeatPenalty();
        this.frequency = params.frequencyPenalty();
        this.presence = params.presencePenalty();
        this.window = new int[params.penaltyLastN()];
        this.counts = new int[window.length == 0 ? 0 : vocabSize];
    }

    /** Records a token as the newest one of the window, dropping the oldest when the window is full. */
    void accept(int token) {
        if (window.length == 0) {
            return;
        }
        if (size == window.length) {
            counts[window[next]]--;
        } else {
            size++;
        }
        window[next] = token;
        counts[token]++;
        next = (next + 1) % window.length;
    }

    /** How many times {@code token} occurs in the window. */
    int count(int token) {
        return window.length == 0 ? 0 : counts[token];
    }

    /** The number of tokens in the window. */
    int size() {
        return size;
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            counts[window[i]] = 0;
        }
        size = 0;
        next = 0;
    }

    /**
     * Penalizes, in place, the logit of every distinct token in the window: the repeat penalty divides a positive
     * logit and multiplies one at or below zero (so a penalty never makes a token more likely), then the frequency
     * penalty is subtracted once per occurrence and the presence penalty once.
     */
    void apply(float[] logits) {
        for (int i = 0; i < size; i++) {
            int token = window[i];
            int c = counts[token];
            if (c <= 0) {
                continue; // negated below: this token was already penalized
            }
            float l = logits[token];
            l = l <= 0f ? l * repeat : l / repeat;
            logits[token] = l - (c * frequency + presence);
            counts[token] = -c;
        }
        for (int i = 0; i < size; i++) {
            int token = window[i];
            if (counts[token] < 0) {
                counts[token] = -counts[token];
            }
        }
    }
}
