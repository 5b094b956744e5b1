package org.ristretto.bench;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ristretto.core.quant.GgmlType;

/**
 * llama.cpp as the speed peer: llama-bench's tests ({@code pp N}, {@code tg N}, either after a depth of {@code D}
 * cached tokens) on one GGUF with a given thread count, measured the way llama-bench measures them.
 *
 * <p><b>What is timed.</b> Each repetition takes {@link System#nanoTime()} (a monotonic wall clock, like llama-bench's
 * {@code std::chrono::steady_clock}) around exactly what llama-bench's {@code test_prompt} and {@code test_gen} do:
 * for pp N, {@code llama_decode} of N random tokens (BOS first where the vocabulary adds one) in batches of
 * {@code n_batch}, then one {@code llama_synchronize}; for tg N, N single-token {@code llama_decode} calls, each
 * followed by {@code llama_synchronize}, feeding random tokens (no sampling: as in llama-bench, the logits are
 * computed but not read). Inside the timed region Java does only this: copy the token ids into native memory and
 * make the FFM downcalls (a few tens of nanoseconds per call), so tg includes that per-token overhead and pp almost
 * none. The depth prefill, the warm-up (one pp N run and one tg 1 run, as llama-bench does), the context creation and
 * the model load are outside it. Tokens per second of a sample is {@code (N_prompt + N_gen) / seconds}; the mean and
 * the sample standard deviation are over the repetitions, as llama-bench reports them.
 *
 * <p>Alongside, each repetition also reads llama.cpp's own timers ({@code llama_perf_context}: time from a decode's
 * start to the synchronize that ends it, measured inside the library) into
 * {@link LlamaBenchResult#samplesInternalNs()}. The wall clock is what llama-bench reports and what counts; the gap
 * (about 16 microseconds per generated token, 0.1 ms per 512-token prompt) is the FFM calls plus the part of
 * llama.cpp's own decode that runs before its timer starts.
 *
 * <p>The depth for repetitions after the first is kept by dropping the cache positions past it
 * ({@code llama_kv_self_seq_rm}) instead of prefilling it again; llama-bench restores a saved state to the same end.
 *
 * <p><b>Threads.</b> This llama.cpp build runs its workers with OpenMP, whose threads spin at every barrier by
 * default, as llama-bench's do. Where other processes compete for the cores, a descheduled spinning worker stalls the
 * rest: on the shared 2-core machine, Llama 3.2 1B Q4_0 generated 2.2 tokens/s with 2 threads against 13.6 with 1.
 * {@code OMP_WAIT_POLICY=passive} in the environment of the JVM (libgomp reads it when the library loads) makes the
 * workers sleep instead (10.9 tokens/s there). Report which policy a figure was taken with.
 *
 * <p>Run {@link #main} for a llama-bench-like table or {@code -o json}; see {@link LlamaBenchCommand}.
 */
public final class LlamaCppPeer implements AutoCloseable {

    /**
     * How the tests run.
     *
     * @param threads        llama.cpp threads for generation and prompt batches
     * @param batchSize      {@code n_batch} (llama-bench default 2048)
     * @param ubatchSize     {@code n_ubatch} (llama-bench default 512)
     * @param flashAttention llama.cpp's flash attention
     * @param cacheType      KV cache element type (llama-bench default F16)
     * @param repetitions    timed repetitions of each test (llama-bench default 5)
     * @param warmup         whether to run llama-bench's warm-up before the repetitions
     * @param seed           seed of the random token ids
     */
    public record Settings(int threads, int batchSize, int ubatchSize, boolean flashAttention, GgmlType cacheType,
                           int repetitions, boolean warmup, long seed) {
        public Settings {
            if (threads <= 0 || batchSize <= 0 || ubatchSize <= 0 || repetitions <= 0) {
                throw new IllegalArgumentException("threads, batch sizes and repetitions must be positive");
            }
        }

        /** llama-bench's defaults with flash attention on. */
        public static Settings defaults(int threads) {
            return new Settings(threads, 2048, 512, true, GgmlType.F16, 5, true, 1);
        }
    }

    private final LlamaCppModel model;
    private final Settings settings;
    private final int vocabSize;
    private final int firstToken;

    private LlamaCppPeer(LlamaCppModel model, Settings settings) {
        this.model = model;
        this.settings = settings;
        this.vocabSize = model.vocabSize();
        this.firstToken = model.addsBos() ? model.bos() : -1;
    }

    /** Loads the model once for any number of tests. */
    public static LlamaCppPeer open(Path gguf, Settings settings) throws NoSuchFileException {
        return new LlamaCppPeer(LlamaCppModel.open(gguf), settings);
    }

    public LlamaCppModel model() {
        return model;
    }

    public Settings settings() {
        return settings;
    }

    /** What the results of this peer ran on. */
    public LlamaBenchSetup setup() {
        return new LlamaBenchSetup(model.file().toString(), model.description(), model.sizeBytes(),
                model.parameterCount(), settings.batchSize(), settings.ubatchSize(), settings.threads(),
                settings.cacheType(), settings.flashAttention());
    }

    /** Runs one test in a fresh context of {@code nPrompt + nGen + nDepth} tokens, as llama-bench does. */
    public LlamaBenchResult run(LlamaBenchTest test) {
        var options = new LlamaCppContext.Options(test.nPrompt() + test.nGen() + test.nDepth(),
                settings.batchSize(), settings.ubatchSize(), settings.threads(), settings.flashAttention(),
                settings.cacheType());
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Random random = new Random(settings.seed());
        List<Long> wall = new ArrayList<>();
        List<Long> internal = new ArrayList<>();
        try (LlamaCppContext ctx = model.newContext(options)) {
            if (settings.warmup()) {
                if (test.nPrompt() > 0) {
                    prompt(ctx, test.nPrompt(), random);
                }
                if (test.nGen() > 0) {
                    generate(ctx, 1, random);
                }
            }
            for (int rep = 0; rep < settings.repetitions(); rep++) {
                if (rep == 0 || test.nDepth() == 0) {
                    ctx.clearCache();
                    if (test.nDepth() > 0) {
                        prompt(ctx, test.nDepth(), random);
                    }
                } else {
                    ctx.truncateCache(test.nDepth());
                }
                ctx.resetPerf();
                long start = System.nanoTime();
                if (test.nPrompt() > 0) {
                    prompt(ctx, test.nPrompt(), random);
                }
                if (test.nGen() > 0) {
                    generate(ctx, test.nGen(), random);
                }
                wall.add(System.nanoTime() - start);
                LlamaCppContext.Perf perf = ctx.perf();
                internal.add(Math.round((perf.promptMs() + perf.evalMs()) * 1e6));
            }
        }
        return new LlamaBenchResult(test, setup(), wall, internal, time);
    }

    /** llama-bench's {@code test_prompt}: random tokens in batches, BOS first where the vocabulary adds it. */
    private void prompt(LlamaCppContext ctx, int n, Random random) {
        int[] ids = new int[Math.min(n, settings.batchSize())];
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, settings.batchSize());
            ids[0] = done == 0 && firstToken >= 0 ? firstToken : random.nextInt(vocabSize);
            for (int i = 1; i < k; i++) {
                ids[i] = random.nextInt(vocabSize);
            }
            ctx.decode(ids, 0, k);
            done += k;
        }
        ctx.synchronize();
    }

    /** llama-bench's {@code test_gen}: one token per decode, each waited for, random tokens after the first. */
    private void generate(LlamaCppContext ctx, int n, Random random) {
        int[] token = {firstToken >= 0 ? firstToken : random.nextInt(vocabSize)};
        for (int i = 0; i < n; i++) {
            ctx.decode(token, 0, 1);
            ctx.synchronize();
            token[0] = random.nextInt(vocabSize);
        }
    }

    @Override
    public void close() {
        model.close();
    }

    /** The llama-bench-like command line: {@code LlamaCppPeer -m FILE -t 2 -p 512 -n 128 -r 5 -o json}. */
    public static void main(String[] args) {
        System.exit(LlamaBenchCommand.commandLine().execute(args));
    }
}
