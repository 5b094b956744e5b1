package org.ristretto.bench;

/**
 * One llama-bench test: {@code nPrompt} prompt tokens then {@code nGen} generated tokens, timed together, after
 * {@code nDepth} tokens already in the KV cache (not timed).
 */
public record LlamaBenchTest(int nPrompt, int nGen, int nDepth) {
    public LlamaBenchTest {
        if (nPrompt < 0 || nGen < 0 || nDepth < 0 || nPrompt + nGen == 0) {
            throw new IllegalArgumentException("a test needs prompt or generated tokens and no negative count, not "
                    + "pp" + nPrompt + " tg" + nGen + " d" + nDepth);
        }
    }

    /** Prompt processing of {@code n} tokens. */
    public static LlamaBenchTest pp(int n, int depth) {
        return new LlamaBenchTest(n, 0, depth);
    }

    /** Generation of {@code n} tokens one by one. */
    public static LlamaBenchTest tg(int n, int depth) {
        return new LlamaBenchTest(0, n, depth);
    }

    /** Tokens each sample processes, and so the numerator of tokens per second. */
    public int tokens() {
        return nPrompt + nGen;
    }

    /** The name llama-bench prints: {@code pp512}, {@code tg128}, {@code pp512+tg128}, with {@code  @ d4096}. */
    public String name() {
        String base = nGen == 0 ? "pp" + nPrompt : nPrompt == 0 ? "tg" + nGen : "pp" + nPrompt + "+tg" + nGen;
        return nDepth > 0 ? base + " @ d" + nDepth : base;
    }
}
