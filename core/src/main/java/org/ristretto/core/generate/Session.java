package org.ristretto.core.generate;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.ristretto.core.model.ContextOverflowException;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.sampling.Sampler;
import org.ristretto.core.sampling.StopStringMatcher;
import org.ristretto.core.tokenizer.StreamingDecoder;
import org.ristretto.core.tokenizer.Tokenizer;
import org.ristretto.core.tokenizer.Vocabulary;

/**
 * One conversation's KV cache and the generation loop over it.
 *
 * <p>A generation call takes the whole token sequence the context should hold (for a chat: the rendered conversation
 * so far) and evaluates only what the cache does not already hold: the longest common prefix with the tokens in the
 * cache is kept and the rest is prefilled in batches. So a multi-turn chat never prefills its history again, and a
 * caller that changes an earlier message just gets the diverging suffix recomputed.
 *
 * <p>Not thread-safe: one generation at a time.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final Vocabulary vocab;
    /** The token at each position the KV cache holds, {@code cachedLength} of them. */
    private final int[] cached;
    private int cachedLength;
    /** The last decoding step's logits, reused from step to step. */
    private final float[] stepLogits;

    Session(Model model, ModelWeights weights, TransformerOptions options) {
        this.model = model;
        this.transformer = new Transformer(weights, options);
        this.tokenizer = model.tokenizer();
        this.vocab = tokenizer.vocabulary();
        this.cached = new int[transformer.contextLength()];
        this.stepLogits = new float[model.config().vocabSize()];
    }

    /** Positions the KV cache holds. */
    public int contextLength() {
        return transformer.contextLength();
    }

    /** Tokens currently held in the KV cache. */
    public int position() {
        return cachedLength;
    }

    /** Forgets the KV cache's contents (the memory stays allocated). */
    public void reset() {
        cachedLength = 0;
    }

    /**
     * Encodes {@code prompt} as a fresh text (BOS as the vocabulary says, special tokens not parsed) and generates a
     * continuation, streaming its text to {@code onText}.
     */
    public GenerationResult generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(tokenizer.encode(prompt, true, false), options, onText, () -> false);
    }

    /**
     * Generates a continuation of {@code prompt}, the full token sequence the context should hold, streaming complete
     * UTF-8 text to {@code onText} as it is decided (text that could begin a stop string is held back until it is
     * clear). Tokens already in the KV cache from an earlier call are reused.
     *
     * @param cancelled polled after each token; returning true ends the generation with {@link StopReason#CANCELLED}
     * @throws ContextOverflowException when the prompt alone does not fit in the context
     * @throws IllegalArgumentException for an empty prompt or a token id outside the vocabulary
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options, Consumer<String> onText,
                                     BooleanSupplier cancelled) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
        }
        int context = transformer.contextLength();
        if (prompt.length > context) {
            throw new ContextOverflowException(context, prompt.length);
        }
        int reused = commonPrefix(prompt);
        int[] toEvaluate = Arrays.copyOfRange(prompt, reused, prompt.length);
        cachedLength = reused;

        Sampler sampler = new Sampler(options.sampling(), model.config().vocabSize());
        for (int t : prompt) {
            sampler.accept(t);
        }
        boolean greedyOnDevice = options.sampling().isGreedy() && !options.sampling().hasPenalties();
        long start = System.nanoTime();
        int next = step(toEvaluate, reused, greedyOnDevice, sampler);
        long prefillNanos = System.nanoTime() - start;
        System.arraycopy(toEvaluate, 0, cached, reused, toEvaluate.length);
        cachedLength = prompt.length;
        if (options.maxTokens() == 0) {
            return new GenerationResult("", new int[0], StopReason.MAX_TOKENS, toEvaluate.length, reused,
                    prefillNanos, 0);
        }

        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StopStringMatcher stops = new StopStringMatcher(options.stops());
        StringBuilder text = new StringBuilder();
        // SentencePiece text after a special token (e.g. generation from BOS alone) starts with the space the
        // tokenizer's space prefix put there; like the tokenizer's decode, do not show it.
        boolean[] stripSpace = {vocab.kind() == Vocabulary.Kind.SPM && vocab.addSpacePrefix()
                && vocab.isSpecial(prompt[prompt.length - 1])};
        Consumer<String> emit = s -> {
            if (stripSpace[0] && !s.isEmpty()) {
                stripSpace[0] = false;
                s = s.startsWith(" ") ? s.substring(1) : s;
            }
            if (!s.isEmpty()) {
                text.append(s);
                onText.accept(s);
            }
        };
        int[] generated = new int[16];
        int count = 0;
        StopReason reason;
        long decodeStart = System.nanoTime();
        while (true) {
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, count * 2);
            }
            generated[count++] = next;
            sampler.accept(next);
            if (vocab.isEog(next)) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
            emit.accept(stops.feed(decoder.accept(next)));
            if (stops.stopped()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (options.maxTokens() > 0 && count >= options.maxTokens()) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (cancelled.getAsBoolean()) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (cachedLength >= context) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            int position = cachedLength;
            int token = next;
            next = step(new int[] {token}, position, greedyOnDevice, sampler);
            cached[position] = token;
            cachedLength = position + 1;
        }
        long generateNanos = System.nanoTime() - decodeStart;
        if (reason != StopReason.STOP_STRING) {
            String tail = decoder.flush();
            emit.accept(tail.isEmpty() ? "" : stops.feed(tail));
            if (!stops.stopped()) {
                emit.accept(stops.flush());
            } else {
                reason = StopReason.STOP_STRING;
            }
        }
        return new GenerationResult(text.toString(), Arrays.copyOf(generated, count), reason, toEvaluate.length,
                reused, prefillNanos, generateNanos);
    }

    /**
     * Evaluates {@code ids} from position 0 (the cache is overwritten) and returns the logits of the last position, or
     * of every position ({@code ids.length × vocabSize}, position by position) with {@code all}.
     */
    public float[] logits(int[] ids, boolean all) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("no tokens to evaluate");
        }
        cachedLength = 0;
        float[] logits = transformer.forward(ids, 0, all);
        System.arraycopy(ids, 0, cached, 0, ids.length);
        cachedLength = ids.length;
        return logits;
    }

    /** Evaluates tokens at {@code position...} and picks the next token. */
    private int step(int[] ids, int position, boolean greedyOnDevice, Sampler sampler) {
        if (greedyOnDevice) {
            return transformer.forwardGreedy(ids, position);
        }
        transformer.forward(ids, position, stepLogits);
        return sampler.sample(stepLogits);
    }

    /** How many leading tokens of {@code prompt} the cache already holds, keeping at least one to evaluate. */
    private int commonPrefix(int[] prompt) {
        int limit = Math.min(cachedLength, prompt.length - 1);
        int n = 0;
        while (n < limit && cached[n] == prompt[n]) {
            n++;
        }
        return n;
    }

    /** Frees the KV cache. */
    @Override
    public void close() {
        transformer.close();
    }
}
