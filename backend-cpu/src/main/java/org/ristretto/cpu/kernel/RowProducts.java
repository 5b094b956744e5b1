package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * {@link MatMul}'s products on the file's layout with fewer than {@link MatMul#TILED_MIN_TOKENS} tokens: the
 * activations brought into the form the weight type's {@link RowKernel} multiplies, once per call, then chunks of
 * rows split over the pool, each row multiplied with a tile of tokens at a time. Nothing is allocated per call. One
 * call at a time, from one thread (MatMul's).
 */
final class RowProducts {
    /** Bytes of weights a prefill chunk aims to keep in the core's L2 cache while the token tiles pass over it. */
    private static final long PREFILL_CHUNK_BYTES = 192 * 1024;
    /** Most rows in one chunk. */
    private static final int MAX_CHUNK_ROWS = 64;
    /**
     * Fewest rows in one chunk of a matrix×vector product whose kernel reads several rows at once
     * ({@link RowKernel#dotRows}): Q8_0 decoding, one thread, read 20 GB/s with 64-row chunks and 24–25 with 256 or
     * 512 (the packed kernel 23–25, same runs).
     */
    private static final int STREAMED_CHUNK_ROWS = 256;
    /** Chunks per thread a matrix×vector product aims for, so that uneven progress balances out. */
    private static final int CHUNKS_PER_THREAD = 8;

    private final WorkerPool pool;
    private final WorkerScratch[] scratch;
    private final Activations act = new Activations();
    private final Activations act2 = new Activations();

    // The call in progress, read by the pool's tasks (published by the pool's volatile hand-off).
    private RowKernel kernel;
    private RowKernel kernel2;
    private MemorySegment w;
    private MemorySegment w2;
    private long wOffset;
    private long w2Offset;
    private long rowBytes;
    private long rowBytes2;
    private Activations x2;
    private int rows;
    private int cols;
    private int nTokens;
    private int chunkRows;
    private float[] out;
    private int outOffset;
    private Activations quantizing;
    private final WorkerPool.Task productTask = this::productChunk;
    private final WorkerPool.Task swiGluTask = this::swiGluChunk;
    private final WorkerPool.Task quantizeTask = (t, worker) -> quantizing.quantize(t);

    RowProducts(WorkerPool pool, WorkerScratch[] scratch) {
        this.pool = pool;
        this.scratch = scratch;
    }

    /** {@link MatMul#multiply} of checked arguments, {@code rowBytes} apart, with {@code k}. */
    void multiply(RowKernel k, MemorySegment w, long wOffset, long rowBytes, int rows, int cols, float[] x,
            int xOffset, int nTokens, float[] out, int outOffset) {
        begin(rows, cols, nTokens, out, outOffset);
        this.kernel = k;
        this.w = w;
        this.wOffset = wOffset;
        this.rowBytes = rowBytes;
        try {
            prepare(act, k.activation(), x, xOffset);
            pool.run(chunks(rowBytes), productTask);
        } finally {
            end();
        }
    }

    /**
     * {@link MatMul#multiplySwiGlu} of checked arguments: the gate's rows multiplied by {@code kg}, the up
     * projection's by {@code ku}.
     */
    void multiplySwiGlu(RowKernel kg, MemorySegment gate, long gateOffset, long gateRowBytes, RowKernel ku,
            MemorySegment up, long upOffset, long upRowBytes, int rows, int cols, float[] x, int xOffset, int nTokens,
            float[] out, int outOffset) {
        begin(rows, cols, nTokens, out, outOffset);
        this.kernel = kg;
        this.kernel2 = ku;
        this.w = gate;
        this.wOffset = gateOffset;
        this.rowBytes = gateRowBytes;
        this.w2 = up;
        this.w2Offset = upOffset;
        this.rowBytes2 = upRowBytes;
        try {
            prepare(act, kg.activation(), x, xOffset);
            if (ku.activation() == kg.activation()) {
                x2 = act;
            } else {
                prepare(act2, ku.activation(), x, xOffset);
                x2 = act2;
            }
            pool.run(chunks(gateRowBytes + upRowBytes), swiGluTask);
        } finally {
            end();
        }
    }

    private void begin(int rows, int cols, int nTokens, float[] out, int outOffset) {
        this.rows = rows;
        this.cols = cols;
        this.nTokens = nTokens;
        this.out = out;
        this.outOffset = outOffset;
    }

    /** Drops the references to the caller's arrays and segments. */
    private void end() {
        w = w2 = null;
        out = null;
        act.x = act2.x = null;
        kernel = kernel2 = null;
        x2 = null;
    }

    private void prepare(Activations a, ActivationFormat format, float[] x, int xOffset) {
        a.begin(format, x, xOffset, cols, nTokens);
        if (format != ActivationFormat.F32) {
            quantizeAll(a);
        }
    }

    private void quantizeAll(Activations a) {
        if (nTokens == 1) {
            a.quantize(0);
        } else {
            quantizing = a;
            pool.run(nTokens, quantizeTask);
            quantizing = null;
        }
    }

    /** Picks the rows per chunk for this call and returns the number of chunks. */
    private int chunks(long bytesPerRow) {
        int threads = pool.threads();
        int r;
        if (nTokens == 1) {
            r = Math.ceilDiv(rows, threads * CHUNKS_PER_THREAD);
            if (kernel.rowsAtOnce() > 1) {
                // Streams of a few rows each would end before the prefetchers are up to speed.
                chunkRows = Math.min(rows, Math.max(r, STREAMED_CHUNK_ROWS));
                return Math.ceilDiv(rows, chunkRows);
            }
        } else {
            r = (int) Math.max(1, PREFILL_CHUNK_BYTES / bytesPerRow);
            r = Math.min(r, Math.ceilDiv(rows, threads));
        }
        chunkRows = Math.clamp(r, 1, MAX_CHUNK_ROWS);
        return Math.ceilDiv(rows, chunkRows);
    }

    private void productChunk(int chunk, int worker) {
        WorkerScratch s = scratch[worker];
        float[] res = s.res;
        int r0 = chunk * chunkRows;
        int r1 = Math.min(rows, r0 + chunkRows);
        int n = kernel.rowsAtOnce();
        if (nTokens == 1 && n > 1) {
            // The chunk in n parts read side by side, part i's row j with the others' row j; the rows after the
            // last whole set of n go one by one.
            int part = (r1 - r0) / n;
            long stride = part * rowBytes;
            for (int j = 0; j < part; j++) {
                int r = r0 + j;
                kernel.dotRows(w, wOffset + r * rowBytes, stride, cols, act, res);
                for (int i = 0; i < n; i++) {
                    out[outOffset + r + i * part] = res[i];
                }
            }
            r0 += n * part;
        }
        for (int t0 = 0; t0 < nTokens; t0 += RowKernel.TILE) {
            int nT = Math.min(RowKernel.TILE, nTokens - t0);
            int o = outOffset + t0 * rows;
            for (int r = r0; r < r1; r++) {
                kernel.dot(w, wOffset + r * rowBytes, cols, act, t0, nT, res);
                for (int i = 0; i < nT; i++) {
                    out[o + i * rows + r] = res[i];
                }
            }
        }
    }

    private void swiGluChunk(int chunk, int worker) {
        WorkerScratch s = scratch[worker];
        float[] g = s.res;
        float[] u = s.res2;
        int r0 = chunk * chunkRows;
        int r1 = Math.min(rows, r0 + chunkRows);
        int n = kernel.rowsAtOnce();
        if (nTokens == 1 && n > 1 && kernel2.rowsAtOnce() == n) {
            // As productChunk, for both matrices.
            int part = (r1 - r0) / n;
            for (int j = 0; j < part; j++) {
                int r = r0 + j;
                kernel.dotRows(w, wOffset + r * rowBytes, part * rowBytes, cols, act, g);
                kernel2.dotRows(w2, w2Offset + r * rowBytes2, part * rowBytes2, cols, x2, u);
                for (int i = 0; i < n; i++) {
                    out[outOffset + r + i * part] = SwiGlu.of(g[i], u[i]);
                }
            }
            r0 += n * part;
        }
        for (int t0 = 0; t0 < nTokens; t0 += RowKernel.TILE) {
            int nT = Math.min(RowKernel.TILE, nTokens - t0);
            int o = outOffset + t0 * rows;
            for (int r = r0; r < r1; r++) {
                kernel.dot(w, wOffset + r * rowBytes, cols, act, t0, nT, g);
                kernel2.dot(w2, w2Offset + r * rowBytes2, cols, x2, t0, nT, u);
                for (int i = 0; i < nT; i++) {
                    out[o + i * rows + r] = SwiGlu.of(g[i], u[i]);
                }
            }
        }
    }
}
