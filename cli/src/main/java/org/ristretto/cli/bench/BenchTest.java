package org.ristretto.cli.bench;

/**
 * One llama-bench test: {@code nPrompt} prompt tokens processed as batches, then {@code nGen} tokens decoded one at a
 * time, timed together, after {@code nDepth} tokens already sit in the KV cache (not timed).
 *
 * @param nPrompt prompt tokens ({@code pp}); 0 for a pure generation test
 * @param nGen    generated tokens ({@code tg}); 0 for a pure prompt test
 * @param nDepth  tokens in the KV cache before the timed part
 */
public record BenchTest(int nPrompt, int nGen, int nDepth) {

    public BenchTest {
        if (nPrompt < 0 || nGen < 0 || nDepth < 0 || nPrompt + nGen == 0) {
            throw new IllegalArgumentException("a test needs prompt or generated tokens and no negative count, not pp"
                    + nPrompt + " tg" + nGen + " d" + nDepth);
        }
    }

    /** Prompt processing of {@code n} tokens after {@code depth} cached ones. */
    public static BenchTest pp(int n, int depth) {
        return new BenchTest(n, 0, depth);
    }

    /** Generation of {@code n} tokens one by one after {@code depth} cached ones. */
    public static BenchTest tg(int n, int depth) {
        return new BenchTest(0, n, depth);
    }

    /** Tokens one sample processes: the numerator of tokens per second. */
    public int tokens() {
        return nPrompt + nGen;
    }

    /** KV cache positions the test needs: depth, prompt and generated tokens (llama-bench's {@code n_ctx}). */
    public long positions() {
        return (long) nDepth + nPrompt + nGen;
    }

    /** The name llama-bench prints: {@code pp512}, {@code tg128}, {@code pp512+tg128}, with {@code " @ d4096"}. */
    public String name() {
        String base = nGen == 0 ? "pp" + nPrompt : nPrompt == 0 ? "tg" + nGen : "pp" + nPrompt + "+tg" + nGen;
        return nDepth > 0 ? base + " @ d" + nDepth : base;
    }
}
