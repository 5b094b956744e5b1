package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * {@link MatMul}'s products of {@link MatMul#TILED_MIN_TOKENS} tokens or more: the activations brought into token
 * tiles once per call (transposed floats for {@link TiledProduct}, Q8_0 quants for {@link TiledQ4_0}), then row
 * chunks of {@link TiledProduct#ROWS} multiplied in parallel, one matrix or a SwiGLU's two. One call at a time, from
 * one thread (MatMul's).
 */
final class TiledProducts {
    /**
     * Bytes of activation tiles (Q8_0 quants or floats) one K-group of {@link #groupedTiles} reads. Measured with
     * BuildAb on the 2-core Zen 5 (Q4_0, 2048×8192, 512 tokens, 2 threads, against one pass): 1 MB groups 1.10×, 2 MB
     * 1.13×, 4 MB 1.04×; on 8192×2048 (2 MB of tiles in all) 1 MB groups lost 5%. Float tiles on the 2-core Zen 4
     * (same shape and tokens): 2 MB groups 1.155× (Q6_K) and 1.115× (Q8_0), 4 MB 1.10× and 1.045×. Products only
     * group once their tiles span more than 4096 columns of 512 tokens ({@link #groupsPay}).
     */
    static final int K_GROUP_BYTES = 2048 << 10;
    /**
     * {@link JitWarmUp}'s calls per warm-up repeat: one 16-row, 512-column, one-tile pass, two kernel calls and 16
     * rows dequantized, about 10 µs compiled.
     */
    private static final int WARM_UP_CALLS = 4;

    private final WorkerPool pool;
    private final Lanes lanes;
    private final TiledProduct tiled;
    private final TiledProduct.Scratch[] tiles;
    /** The integer product of Q4_0 batches; null at 128 bits (no byte vectors narrow enough to unpack with). */
    private final TiledQ4_0 tiledQ4_0;
    private final TiledQ4_0.Scratch[] q4Tiles;
    /** {@link #K_GROUP_BYTES}, or a test's smaller value. */
    private final int kGroupBytes;
    /** The activations transposed into token tiles, for the tiled product. */
    private float[] xt = new float[0];
    /** The activations quantized to Q8_0 in token tiles, for {@link #tiledQ4_0}: quants and block scales. */
    private short[] xq = new short[0];
    private float[] dq = new float[0];
    /**
     * A grouped product's sums for every row ({@link #groupedTiles}), {@code [row][token]}, and the up
     * projection's for a SwiGLU.
     */
    private float[] sums = new float[0];
    private float[] sums2 = new float[0];
    /** Whether the grouped product in progress multiplies integer tiles ({@link #tiledQ4_0}) or float ones. */
    private boolean groupedIntegers;
    /** The columns {@code [groupStart, groupEnd)} of the K-group in progress. */
    private int groupStart;
    private int groupEnd;

    // The call in progress, read by the pool's tasks (published by the pool's volatile hand-off).
    private GgmlType type;
    private GgmlType type2;
    private MemorySegment w;
    private MemorySegment w2;
    private long wOffset;
    private long w2Offset;
    private long rowBytes;
    private long rowBytes2;
    private int rows;
    private int cols;
    private int nTokens;
    /** {@link #nTokens} rounded up to whole token tiles: the row length of the sums. */
    private int padded;
    private float[] out;
    private int outOffset;
    private float[] xRaw;
    private int xRawOffset;
    private final WorkerPool.Task tiledTask = this::tiledChunk;
    private final WorkerPool.Task groupedTask = this::groupedChunk;
    private final WorkerPool.Task transposeTask = this::transposeTile;
    private final WorkerPool.Task quantizeTileTask = this::quantizeTile;

    TiledProducts(WorkerPool pool, Lanes lanes, int kGroupBytes) {
        this.pool = pool;
        this.lanes = lanes;
        this.kGroupBytes = kGroupBytes;
        this.tiled = new TiledProduct(lanes);
        this.tiles = new TiledProduct.Scratch[pool.threads()];
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = new TiledProduct.Scratch();
        }
        this.tiledQ4_0 = lanes.ints().length() >= 8 ? new TiledQ4_0(lanes) : null;
        this.q4Tiles = new TiledQ4_0.Scratch[tiledQ4_0 == null ? 0 : pool.threads()];
        for (int i = 0; i < q4Tiles.length; i++) {
            q4Tiles[i] = new TiledQ4_0.Scratch();
        }
    }

    /**
     * {@code out[outOffset + t·rows + r]} = row {@code r} of the {@code rows × cols} matrix of {@code type} at byte
     * {@code wOffset} of {@code w} (rows {@code rowBytes} apart) times token {@code t} of {@code x}; with a second
     * matrix ({@code w2} not null, of {@code type2}) the SwiGLU of the two products instead. Arguments are checked
     * by the caller.
     */
    void multiply(GgmlType type, MemorySegment w, long wOffset, long rowBytes, GgmlType type2, MemorySegment w2,
            long w2Offset, long rowBytes2, int rows, int cols, float[] x, int xOffset, int nTokens, float[] out,
            int outOffset) {
        this.type = type;
        this.type2 = type2;
        this.w = w;
        this.wOffset = wOffset;
        this.rowBytes = rowBytes;
        this.w2 = w2;
        this.w2Offset = w2Offset;
        this.rowBytes2 = rowBytes2;
        this.rows = rows;
        this.cols = cols;
        this.nTokens = nTokens;
        int tt = tiled.tokenTile();
        this.padded = (nTokens + tt - 1) / tt * tt;
        this.out = out;
        this.outOffset = outOffset;
        try {
            GgmlType other = w2 == null ? type : type2;
            prepareTiles(type, other, x, xOffset);
            groupedIntegers = integerTiles(type) && integerTiles(other);
            if ((groupedIntegers || !integerTiles(type) && !integerTiles(other)) && groupsPay()) {
                groupedTiles();
            } else {
                pool.run((rows + TiledProduct.ROWS - 1) / TiledProduct.ROWS, tiledTask);
            }
        } finally {
            this.w = this.w2 = null;
            this.out = null;
            this.xRaw = null;
        }
    }

    /**
     * Runs the tiled kernel of {@code type} on the calling thread, over the first rows and columns of the
     * {@code rows × cols} matrix at byte {@code wOffset} of {@code w} (the real one, so that the compiled code meets
     * the segment kind it will multiply) and one token tile, until the JIT has compiled it ({@link JitWarmUp}).
     * Otherwise a cold process's first long prompt runs the kernel on every worker in the interpreter or C1 code,
     * about a thousand times slower, leaving C2 no core to compile it on.
     */
    void warmUp(GgmlType type, MemorySegment w, long wOffset, int rows, int cols) {
        long rowBytes = type.byteSize(cols);
        int n = Math.min(cols, TiledProduct.K_BLOCK);
        int r = Math.min(rows, TiledProduct.ROWS);
        int tt = tiled.tokenTile();
        float[] x = JitWarmUp.activations(n * tt);
        float[] acc = new float[TiledProduct.ROWS * tt];
        if (integerTiles(type)) {
            short[] quants = new short[n * tt];
            float[] scales = new float[n * tt / ActivationQuantizer.Q8_0_BLOCK];
            TiledQ4_0.Scratch s = new TiledQ4_0.Scratch();
            tiledQ4_0.quantizeTile(x, 0, n, tt, 0, quants, scales, s);
            JitWarmUp.untilCompiled(WARM_UP_CALLS, () ->
                    tiledQ4_0.rows(w, wOffset, rowBytes, 0, r, n, quants, scales, tt, s, acc));
        } else {
            float[] transposed = new float[n * tt];
            tiled.transpose(x, 0, n, tt, 0, transposed);
            float[] weights = new float[TiledProduct.ROWS * TiledProduct.K_BLOCK];
            JitWarmUp.untilCompiled(WARM_UP_CALLS, () ->
                    tiled.rows(type, w, wOffset, rowBytes, 0, r, n, transposed, tt, weights, acc));
        }
    }

    /** Whether the tiled product of {@code type} weights runs in 16-bit integers ({@link TiledQ4_0}). */
    private boolean integerTiles(GgmlType type) {
        return type == GgmlType.Q4_0 && tiledQ4_0 != null;
    }

    /**
     * Brings the activations into token tiles for the tiled products of {@code a} and {@code b} weights, in parallel
     * over the tiles: transposed floats, Q8_0 quants, or both when the two types take different forms.
     */
    private void prepareTiles(GgmlType a, GgmlType b, float[] x, int xOffset) {
        xRaw = x;
        xRawOffset = xOffset;
        int tt = tiled.tokenTile();
        boolean floats = !integerTiles(a) || !integerTiles(b);
        boolean quants = integerTiles(a) || integerTiles(b);
        long size = tiled.transposedSize(cols, nTokens);
        if (floats && xt.length < size) {
            xt = new float[Math.toIntExact(size)];
        }
        if (quants && xq.length < size) {
            xq = new short[Math.toIntExact(size)];
            dq = new float[Math.toIntExact(size / ActivationQuantizer.Q8_0_BLOCK)];
        }
        int tiles = (nTokens + tt - 1) / tt;
        if (floats) {
            pool.run(tiles, transposeTask);
        }
        if (quants) {
            pool.run(tiles, quantizeTileTask);
        }
    }

    private void transposeTile(int tile, int worker) {
        tiled.transpose(xRaw, xRawOffset, cols, nTokens, tile, xt);
    }

    private void quantizeTile(int tile, int worker) {
        tiledQ4_0.quantizeTile(xRaw, xRawOffset, cols, nTokens, tile, xq, dq, q4Tiles[worker]);
    }

    /** {@link TiledProduct#rows} or {@link TiledQ4_0#rows} for {@code type}. */
    private void tiledRows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int worker,
            float[] acc) {
        if (integerTiles(type)) {
            tiledQ4_0.rows(w, wOffset, rowBytes, r0, r1, cols, xq, dq, nTokens, q4Tiles[worker], acc);
        } else {
            tiled.rows(type, w, wOffset, rowBytes, r0, r1, cols, xt, nTokens, tiles[worker].weights, acc);
        }
    }

    /** Bytes of one column of this call's activation tiles: Q8_0 quants (shorts) or floats. */
    private int tileColumnBytes() {
        return (groupedIntegers ? Short.BYTES : Float.BYTES) * padded;
    }

    /**
     * Whether this call's columns are many enough for K-groups: more than two groups' worth of Q8_0 quant tiles
     * (twice as many bytes of float tiles), 4096 columns of 512 tokens. BuildAb on the 2-core Zen 4 (512 tokens, 2
     * threads, against one pass): float tiles of 2048×8192 (16 MB) 1.13× (Q6_K) and 1.09× (Q8_0) in 2 MB groups,
     * 4096×14336 (28 MB) 1.08× (Q6_K); but 14336×4096 (8 MB) 0.97× (Q8_0) and 8192×2048 (4 MB) 0.95×, which the
     * L3 cache serves without groups; Q4_0's quant tiles of 14336×4096 (4 MB) 1.00× in two groups.
     */
    private boolean groupsPay() {
        return (long) Short.BYTES * padded * cols > 2L * kGroupBytes;
    }

    /**
     * A tiled product over groups of columns: every row chunk multiplies one group's columns, then the next
     * group starts, the sums of all rows waiting in {@link #sums} between groups. In one pass over the columns, every
     * 16-row chunk reads all the activation tiles again (for a 512-token ffn_down input, 8 MB of Q8_0 quants or 16
     * MB of floats), which this machine serves more slowly than a group's 2 MB, at the price of writing and reading
     * the sums once per group.
     * Before this change, BuildAb measured what keeping the tiles in cache could give (by reading wrong ones): 6% on
     * an 8192×2048 matrix, 18% on a 2048×8192 one (512 tokens, 2 threads). The sums come out bit for bit as in one
     * pass: each K-block's are added in the same order.
     */
    private void groupedTiles() {
        int chunks = (rows + TiledProduct.ROWS - 1) / TiledProduct.ROWS;
        int size = Math.multiplyExact(chunks * TiledProduct.ROWS, padded);
        if (sums.length < size) {
            sums = new float[size];
        }
        if (w2 != null && sums2.length < size) {
            sums2 = new float[size];
        }
        int kBlock = groupedIntegers ? TiledQ4_0.K_BLOCK : TiledProduct.K_BLOCK;
        int groupCols = Math.max(1, kGroupBytes / tileColumnBytes() / kBlock) * kBlock;
        for (groupStart = 0; groupStart < cols; groupStart = groupEnd) {
            groupEnd = Math.min(cols, groupStart + groupCols);
            pool.run(chunks, groupedTask);
        }
    }

    private void groupedChunk(int chunk, int worker) {
        int r0 = chunk * TiledProduct.ROWS;
        int r1 = Math.min(rows, r0 + TiledProduct.ROWS);
        int at = r0 * padded;
        boolean first = groupStart == 0;
        groupRows(type, w, wOffset, rowBytes, r0, r1, first, worker, sums, at);
        if (w2 != null) {
            groupRows(type2, w2, w2Offset, rowBytes2, r0, r1, first, worker, sums2, at);
        }
        if (groupEnd < cols) {
            return;
        }
        int n = r1 - r0;
        if (w2 != null) {
            SwiGlu.apply(lanes, sums, sums2, at, n * padded, sums, at);
        }
        writeOut(sums, at, r0, n);
    }

    /** Rows {@code [r0, r1)} of one matrix over the K-group in progress, into {@code acc[at ...]}. */
    private void groupRows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1, boolean first,
            int worker, float[] acc, int at) {
        if (groupedIntegers) {
            tiledQ4_0.rows(w, wOffset, rowBytes, r0, r1, cols, groupStart, groupEnd, first, xq, dq, nTokens,
                    q4Tiles[worker], acc, at);
        } else {
            tiled.rows(type, w, wOffset, rowBytes, r0, r1, cols, groupStart, groupEnd, first, xt, nTokens,
                    tiles[worker].weights, acc, at);
        }
    }

    private void tiledChunk(int chunk, int worker) {
        TiledProduct.Scratch s = tiles[worker];
        s.reserve(padded);
        int r0 = chunk * TiledProduct.ROWS;
        int r1 = Math.min(rows, r0 + TiledProduct.ROWS);
        tiledRows(type, w, wOffset, rowBytes, r0, r1, worker, s.acc);
        int n = r1 - r0;
        if (w2 != null) {
            tiledRows(type2, w2, w2Offset, rowBytes2, r0, r1, worker, s.acc2);
            SwiGlu.apply(lanes, s.acc, s.acc2, n * padded, s.acc, 0);
        }
        writeOut(s.acc, 0, r0, n);
    }

    /**
     * Rows {@code [r0, r0 + n)} of the output from their sums {@code acc[at + (r − r0)·padded + t]}, token by token,
     * so that each token's rows are one contiguous write (row by row, every write of a row landed in another page of
     * the output).
     */
    private void writeOut(float[] acc, int at, int r0, int n) {
        for (int t = 0; t < nTokens; t++) {
            int o = outOffset + t * rows + r0;
            for (int i = 0; i < n; i++) {
                out[o + i] = acc[at + i * padded + t];
            }
        }
    }
}
