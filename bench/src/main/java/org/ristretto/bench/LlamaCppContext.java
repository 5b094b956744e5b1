package org.ristretto.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.ristretto.bench.LlamaCppNative.BATCH;
import static org.ristretto.bench.LlamaCppNative.CONTEXT_PARAMS;
import static org.ristretto.bench.LlamaCppNative.PERF_CONTEXT;
import static org.ristretto.bench.LlamaCppNative.offset;
import static org.ristretto.bench.LlamaCppNative.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import org.ristretto.core.quant.GgmlType;

/**
 * A llama.cpp context on a {@link LlamaCppModel}: a KV cache and the decode calls that fill it.
 *
 * <p>Not thread-safe: one Java thread drives it; llama.cpp's own worker threads do the parallel work.
 */
public final class LlamaCppContext implements AutoCloseable {

    /**
     * How the context is set up.
     *
     * @param contextSize    KV cache length in tokens
     * @param batchSize      llama.cpp's logical batch ({@code n_batch}): the most tokens one decode call takes
     * @param ubatchSize     llama.cpp's physical batch ({@code n_ubatch})
     * @param threads        threads for generation and for prompt batches
     * @param flashAttention llama.cpp's fused flash-attention path
     * @param cacheType      element type of the K and V caches (F16 is llama.cpp's default)
     */
    public record Options(int contextSize, int batchSize, int ubatchSize, int threads, boolean flashAttention,
                          GgmlType cacheType) {
        public Options {
            if (contextSize <= 0 || batchSize <= 0 || ubatchSize <= 0 || threads <= 0) {
                throw new IllegalArgumentException("context, batch, ubatch and threads must be positive");
            }
            if (flashAttention && cacheType == GgmlType.F32) {
                // Build 4916's CPU flash attention has no F32 K path: it aborts the whole process (GGML_ASSERT).
                throw new IllegalArgumentException("llama.cpp build 4916's CPU flash attention takes no F32 KV cache:"
                        + " use an F16 or quantized cache, or turn flash attention off");
            }
        }

        /** llama-bench's defaults (n_batch 2048, n_ubatch 512, F16 cache) for a context and thread count. */
        public static Options benchDefaults(int contextSize, int threads, boolean flashAttention) {
            return new Options(contextSize, 2048, 512, threads, flashAttention, GgmlType.F16);
        }
    }

    /** llama.cpp's own timers ({@code llama_perf_context}): milliseconds between decode and synchronize. */
    public record Perf(double promptMs, int promptTokens, double evalMs, int evalTokens) {}

    private final LlamaCppNative lib;
    private final LlamaCppModel model;
    private final Options options;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment context;
    private final MemorySegment tokens;
    private final SegmentAllocator batchSlot;
    private final int vocabSize;
    private int lastBatchTokens;

    LlamaCppContext(LlamaCppNative lib, LlamaCppModel model, Options options) {
        this.lib = lib;
        this.model = model;
        this.options = options;
        this.vocabSize = model.vocabSize();
        tokens = arena.allocate(JAVA_INT, options.batchSize());
        MemorySegment batch = arena.allocate(BATCH);
        // llama_batch_get_one returns its struct by value: always into this one slot, so decoding allocates nothing.
        batchSlot = (size, align) -> batch;
        long mark;
        try {
            MemorySegment cp = (MemorySegment) lib.contextDefaultParams.invokeExact((SegmentAllocator) arena);
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "n_ctx"), options.contextSize());
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "n_batch"), options.batchSize());
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "n_ubatch"), options.ubatchSize());
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "n_threads"), options.threads());
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "n_threads_batch"), options.threads());
            cp.set(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "flash_attn"), options.flashAttention());
            cp.set(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "no_perf"), false);
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "type_k"), options.cacheType().id());
            cp.set(JAVA_INT, offset(CONTEXT_PARAMS, "type_v"), options.cacheType().id());
            mark = lib.logMark();
            context = (MemorySegment) lib.initFromModel.invokeExact(model.handle(), cp);
        } catch (Throwable t) {
            arena.close();
            throw rethrow(t);
        }
        if (context.equals(MemorySegment.NULL)) {
            arena.close();
            throw new IllegalArgumentException(model.file() + ": llama.cpp could not create a context of "
                    + options.contextSize() + " tokens: " + lib.failureSince(mark));
        }
    }

    public LlamaCppModel model() {
        return model;
    }

    public Options options() {
        return options;
    }

    /** The KV cache length llama.cpp allocated (it may round the request up). */
    public int contextSize() {
        try {
            return (int) lib.nCtx.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets the threads for generation and for prompt batches (takes effect at the next decode). */
    public void setThreads(int threads) {
        try {
            lib.setNThreads.invokeExact(context, threads, threads);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Decodes {@code n} tokens (at most the batch size) at the positions after those already in the cache, as
     * {@code llama_batch_get_one} does; logits come out for the last token only. It may return before the work is
     * done (llama.cpp schedules it asynchronously): {@link #synchronize()} waits.
     */
    public void decode(int[] ids, int off, int n) {
        if (n <= 0 || n > options.batchSize()) {
            throw new IllegalArgumentException("a decode takes 1 to " + options.batchSize() + " tokens, not " + n);
        }
        MemorySegment.copy(ids, off, tokens, JAVA_INT, 0, n);
        long mark = lib.logMark();
        try {
            MemorySegment b = (MemorySegment) lib.batchGetOne.invokeExact(batchSlot, tokens, n);
            check((int) lib.decode.invokeExact(context, b), n, mark);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        lastBatchTokens = n;
    }

    /**
     * Decodes {@code ids} at positions {@code startPos, startPos + 1, ...} of sequence 0 with logits for every token,
     * then waits for the result; {@link #logits(int)} reads any of them.
     */
    public void decodeAllLogits(int[] ids, int startPos) {
        int n = ids.length;
        if (n == 0 || n > options.batchSize()) {
            throw new IllegalArgumentException("a decode takes 1 to " + options.batchSize() + " tokens, not " + n);
        }
        long mark = lib.logMark();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tok = a.allocateFrom(JAVA_INT, ids);
            MemorySegment pos = a.allocate(JAVA_INT, n);
            MemorySegment nSeq = a.allocate(JAVA_INT, n);
            MemorySegment seq0 = a.allocateFrom(JAVA_INT, 0);
            MemorySegment seqIds = a.allocate(ADDRESS, n);
            MemorySegment wantLogits = a.allocate(JAVA_BYTE, n);
            for (int i = 0; i < n; i++) {
                pos.setAtIndex(JAVA_INT, i, startPos + i);
                nSeq.setAtIndex(JAVA_INT, i, 1);
                seqIds.setAtIndex(ADDRESS, i, seq0);
                wantLogits.set(JAVA_BYTE, i, (byte) 1);
            }
            MemorySegment b = a.allocate(BATCH);
            b.set(JAVA_INT, offset(BATCH, "n_tokens"), n);
            b.set(ADDRESS, offset(BATCH, "token"), tok);
            b.set(ADDRESS, offset(BATCH, "embd"), MemorySegment.NULL);
            b.set(ADDRESS, offset(BATCH, "pos"), pos);
            b.set(ADDRESS, offset(BATCH, "n_seq_id"), nSeq);
            b.set(ADDRESS, offset(BATCH, "seq_id"), seqIds);
            b.set(ADDRESS, offset(BATCH, "logits"), wantLogits);
            check((int) lib.decode.invokeExact(context, b), n, mark);
            lib.synchronize.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        lastBatchTokens = n;
    }

    private void check(int result, int n, long mark) {
        if (result != 0) {
            throw new IllegalStateException(model.file() + ": llama_decode of " + n + " tokens returned " + result
                    + (result == 1 ? " (no room left in the KV cache)" : "") + ": " + lib.failureSince(mark));
        }
    }

    /** Waits until llama.cpp has finished the last decode. */
    public void synchronize() {
        try {
            lib.synchronize.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The logits of token {@code i} of the last decode ({@code -1}: its last token), copied out. Only tokens that
     * asked for logits have them.
     */
    public float[] logits(int i) {
        if (i < -1 || i >= lastBatchTokens) {
            throw new IndexOutOfBoundsException("token " + i + " of a batch of " + lastBatchTokens);
        }
        try {
            MemorySegment p = (MemorySegment) lib.getLogitsIth.invokeExact(context, i);
            if (p.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp has no logits for token " + i + " of the last batch");
            }
            return p.reinterpret((long) vocabSize * Float.BYTES).toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Empties the KV cache, so the next decode starts at position 0. */
    public void clearCache() {
        try {
            lib.kvSelfClear.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Drops cache positions {@code from} and later, so decoding resumes at position {@code from}. */
    public void truncateCache(int from) {
        try {
            boolean ok = (boolean) lib.kvSelfSeqRm.invokeExact(context, 0, from, -1);
            if (!ok) {
                throw new IllegalStateException("llama.cpp could not drop KV cache positions from " + from);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** llama.cpp's own timers since the last {@link #resetPerf()}. */
    public Perf perf() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = (MemorySegment) lib.perfContext.invokeExact((SegmentAllocator) a, context);
            return new Perf(d.get(JAVA_DOUBLE, offset(PERF_CONTEXT, "t_p_eval_ms")),
                    d.get(JAVA_INT, offset(PERF_CONTEXT, "n_p_eval")),
                    d.get(JAVA_DOUBLE, offset(PERF_CONTEXT, "t_eval_ms")),
                    d.get(JAVA_INT, offset(PERF_CONTEXT, "n_eval")));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void resetPerf() {
        try {
            lib.perfContextReset.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void close() {
        if (!arena.scope().isAlive()) {
            return;
        }
        try {
            lib.free.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            arena.close();
        }
    }
}
