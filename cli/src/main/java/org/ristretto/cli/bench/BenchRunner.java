package org.ristretto.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ristretto.core.backend.ProfilingBackend;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;

/**
 * Runs llama-bench's tests on Ristretto's forward pass and times them the way llama-bench does.
 *
 * <p><b>A test.</b> Each test gets a fresh {@link Transformer} (KV cache and activations) of
 * {@code depth + prompt + generated} positions, llama-bench's {@code n_ctx}, unless {@link Settings#contextSize()}
 * fixes the size. Then, as in llama-bench: a warm-up (the prompt once from position 0 and, for a test that generates,
 * one generated token after it, then more while the JIT is still compiling: see {@link #settleJit}), then
 * {@link Settings#repetitions()} timed samples. Before the first sample the {@code depth} tokens are prefilled
 * untimed; later samples reuse them, since a sample writes only positions from {@code depth} on (llama-bench
 * restores a saved state to the same end).
 *
 * <p><b>What is timed.</b> {@link System#nanoTime()} around exactly this: {@code pp N} is N random token ids (BOS
 * first where the vocabulary adds one) run in forward calls of at most {@link Settings#batchSize()} tokens, each
 * returning the last token's logits (llama-bench's {@code llama_batch_get_one}); {@code tg N} is N forward calls of
 * one token, each returning its logits, each token random after the first. Logits are read back to the host and not
 * sampled, as llama-bench computes but never reads them. A sample's tokens per second is
 * {@code (prompt + generated) / seconds}.
 */
public final class BenchRunner {

    /**
     * How tests run.
     *
     * @param batchSize   the most tokens one forward call takes ({@code -b}); longer prompts are split
     * @param contextSize KV cache positions for every test, or 0 to size each test's cache to what it needs
     * @param cacheType   the KV cache element type (F16, F32 or Q8_0)
     * @param repetitions timed samples per test
     * @param warmup      whether to run llama-bench's warm-up first
     * @param seed        seed of the random token ids
     */
    public record Settings(int batchSize, int contextSize, GgmlType cacheType, int repetitions, boolean warmup,
                           long seed) {
        public Settings {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            if (contextSize < 0) {
                throw new IllegalArgumentException("context size must be >= 0 (0 = per test), got " + contextSize);
            }
            if (repetitions < 1) {
                throw new IllegalArgumentException("repetitions must be >= 1, got " + repetitions);
            }
            // Fails early, with the same message as the transformer would, for a cache type it cannot hold.
            new TransformerOptions(contextSize, batchSize, cacheType);
        }
    }

    private final BenchModel model;
    private final Settings settings;
    private final int vocabSize;

    public BenchRunner(BenchModel model, Settings settings) {
        this.model = model;
        this.settings = settings;
        this.vocabSize = model.weights().config().vocabSize();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Checks that {@code test} fits the KV cache before anything runs.
     *
     * @throws IllegalArgumentException naming the test, the positions it needs and the context size
     */
    public void check(BenchTest test) {
        int limit = settings.contextSize() > 0 ? settings.contextSize() : Integer.MAX_VALUE;
        if (test.positions() > limit) {
            throw new IllegalArgumentException("test " + test.name() + " needs " + test.positions()
                    + " KV cache positions (depth " + test.nDepth() + " + prompt " + test.nPrompt() + " + generated "
                    + test.nGen() + ") but the context size is " + limit);
        }
    }

    /** Runs {@code test}: warm-up, depth, then the timed samples. */
    public BenchResult run(BenchTest test) {
        check(test);
        int context = settings.contextSize() > 0 ? settings.contextSize() : (int) test.positions();
        var options = new TransformerOptions(context, settings.batchSize(), settings.cacheType());
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Random random = new Random(settings.seed());
        List<Long> samples = new ArrayList<>(settings.repetitions());
        long heapBytes;
        try (Transformer transformer = new Transformer(model.weights(), options)) {
            if (settings.warmup() && test.nPrompt() > 0) {
                prompt(transformer, 0, test.nPrompt(), random);
                settlePrompt(transformer, test.nPrompt(), random);
            }
            if (test.nDepth() > 0) {
                prompt(transformer, 0, test.nDepth(), random);
            }
            if (settings.warmup() && test.nGen() > 0) {
                int first = test.nDepth() + test.nPrompt();
                generate(transformer, first, 1, random);
                settleJit(transformer, first, test.nGen(), random);
            }
            model.profile().ifPresent(ProfilingBackend::reset); // only the timed repetitions
            long heapBefore = heapAllocated();
            for (int rep = 0; rep < settings.repetitions(); rep++) {
                long start = System.nanoTime();
                if (test.nPrompt() > 0) {
                    prompt(transformer, test.nDepth(), test.nPrompt(), random);
                }
                if (test.nGen() > 0) {
                    generate(transformer, test.nDepth() + test.nPrompt(), test.nGen(), random);
                }
                samples.add(System.nanoTime() - start);
            }
            long heapAfter = heapAllocated();
            heapBytes = heapBefore < 0 || heapAfter < 0 ? -1 : heapAfter - heapBefore;
        }
        return new BenchResult(test, samples, started, heapBytes);
    }

    /** Heap bytes allocated by all the JVM's threads so far, or -1 where the JVM does not count them. */
    private static long heapAllocated() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            return threads.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    /**
     * Generates more warm-up tokens while the JIT is still compiling the one-token path. llama-bench warms up with
     * one generated token, which is enough for a native engine; here the second token also packs the weights, and
     * the methods called once per layer per token only reach C2 after thousands of calls, so without this the first
     * timed sample ran up to a fifth slower than the rest. The chunks of up to {@value #SETTLE_CHUNK} tokens walk the
     * positions the samples will use, {@code first ..< first + nGen}, once in full and then around again until one
     * compiles for less than {@value #SETTLE_COMPILE_MILLIS} ms (at most {@value #SETTLE_CHUNKS} more): attention
     * takes other branches as the cache grows, and a branch C2 has never seen taken is a trap that sends the method
     * back to the interpreter and to C2 again. When the warm-up only repeated the first 16 positions, those
     * recompilations (FlashAttention's, in JFR's {@code jdk.Deoptimization} events) fell into the timed samples. The
     * samples overwrite these positions. Without a compilation-time monitor only the full pass runs.
     */
    private void settleJit(Transformer transformer, int first, int nGen, Random random) {
        int n = Math.min(SETTLE_CHUNK, nGen);
        int[] offset = {-n};
        Runnable nextChunk = () -> {
            offset[0] = nextChunk(offset[0], n, nGen);
            generate(transformer, first + offset[0], n, random);
        };
        for (int covered = 0; covered < nGen; covered += n) {
            nextChunk.run();
        }
        whileCompiling(SETTLE_CHUNKS, nextChunk);
    }

    /**
     * Repeats the warm-up prompt, up to {@value #SETTLE_PROMPTS} times, while the JIT keeps compiling
     * ({@link #whileCompiling}). One warm-up prompt left the first timed samples of a cold process's first short test
     * still compiling (pp4 of a 1B Q4_0 file: 9.9–17.9 ± 6–11 t/s in three runs, with megabytes of heap per token
     * from code not yet compiled).
     */
    private void settlePrompt(Transformer transformer, int nPrompt, Random random) {
        whileCompiling(SETTLE_PROMPTS, () -> prompt(transformer, 0, nPrompt, random));
    }

    /**
     * Runs {@code round} up to {@code rounds} times, until the JIT compiled for less than
     * {@value #SETTLE_COMPILE_MILLIS} ms during one; without a compilation-time monitor, not at all.
     */
    private static void whileCompiling(int rounds, Runnable round) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        for (int i = 0; i < rounds; i++) {
            long before = jit.getTotalCompilationTime();
            round.run();
            if (jit.getTotalCompilationTime() - before < SETTLE_COMPILE_MILLIS) {
                return;
            }
        }
    }

    /**
     * The start of the chunk of {@code n} positions after the one at {@code offset} ({@code -n} before the first), the
     * last chunk ending at {@code nGen}, then from 0 again.
     */
    static int nextChunk(int offset, int n, int nGen) {
        return offset + n >= nGen ? 0 : Math.min(offset + n, nGen - n);
    }

    private static final int SETTLE_CHUNK = 16;
    private static final int SETTLE_CHUNKS = 10;
    private static final long SETTLE_COMPILE_MILLIS = 20;
    private static final int SETTLE_PROMPTS = 4;

    /** llama-bench's {@code test_prompt}: {@code n} random tokens from {@code pos} in batches, BOS first if added. */
    private void prompt(Transformer transformer, int pos, int n, Random random) {
        for (int done = 0; done < n; ) {
            int[] batch = new int[Math.min(n - done, settings.batchSize())];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = done == 0 && i == 0 && model.firstPromptToken() >= 0
                        ? model.firstPromptToken() : random.nextInt(vocabSize);
            }
            transformer.forward(batch, pos + done, false);
            done += batch.length;
        }
    }

    /** llama-bench's {@code test_gen}: {@code n} single-token steps from {@code pos}, BOS first if added. */
    private void generate(Transformer transformer, int pos, int n, Random random) {
        int[] token = {model.firstPromptToken() >= 0 ? model.firstPromptToken() : random.nextInt(vocabSize)};
        float[] logits = new float[vocabSize];
        for (int i = 0; i < n; i++) {
            transformer.forward(token, pos + i, logits);
            token[0] = random.nextInt(vocabSize);
        }
    }
}
