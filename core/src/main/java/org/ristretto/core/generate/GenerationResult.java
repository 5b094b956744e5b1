package org.ristretto.core.generate;

/**
 * The outcome of one generation call.
 *
 * @param text            the generated text as streamed (stop strings and end-of-generation tokens excluded)
 * @param tokens          the generated token ids, the final end-of-generation token included when there was one
 * @param reason          why generation ended
 * @param promptTokens    prompt tokens evaluated by this call (those already in the KV cache are not counted)
 * @param reusedTokens    prompt tokens found already in the KV cache and not evaluated again
 * @param prefillNanos    time spent evaluating the prompt, up to the first generated token's logits
 * @param generateNanos   time spent on the generated tokens after the first
 */
public record GenerationResult(String text, int[] tokens, StopReason reason, int promptTokens, int reusedTokens,
                               long prefillNanos, long generateNanos) {

    /** Prompt tokens per second, or 0 when no prompt token was evaluated. */
    public double prefillTokensPerSecond() {
        return promptTokens == 0 || prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
    }

    /**
     * Generated tokens per second over the decode steps (the first token comes from the prefill, so {@code n}
     * tokens take {@code n - 1} steps), or 0 when there was no step.
     */
    public double generateTokensPerSecond() {
        int steps = tokens.length - 1;
        return steps <= 0 || generateNanos == 0 ? 0 : steps * 1e9 / generateNanos;
    }
}
