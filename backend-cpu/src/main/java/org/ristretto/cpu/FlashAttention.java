package org.ristretto.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.cpu.kernel.FastExp;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * Causal attention over a {@link CpuKvCache}, flash-style: each (query block, head) chunk walks the cache in tiles of
 * {@link #TILE} positions, decodes a tile of keys and values once into per-worker scratch for all the query heads of
 * the chunk (the heads of a GQA group read the same KV head) and all its tokens, and folds it into a running
 * maximum, running sum and output accumulator (online softmax: when a tile raises the maximum, what was accumulated
 * is rescaled by {@code e^(old max - new max)}). No score row longer than a tile ever exists, so memory does not grow
 * with the context. Query head {@code h} reads KV head {@code h / (heads / kvHeads)} (GQA and MQA). The q·k dots and
 * the value accumulation use the Vector API; chunks run in parallel on the worker pool, and the scratch of each worker
 * is allocated once and grown only for a larger head size.
 */
final class FlashAttention {
    /** Positions per tile of keys and values. */
    static final int TILE = 64;
    /** Query rows whose scores, and whose value accumulation, run together: they share each load of the tile. */
    private static final int ROW_BLOCK = 4;
    /** The most tokens one chunk handles; the tokens of a chunk share each decoded tile. */
    private static final int MAX_QUERY_BLOCK = 8;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds (query rows × heads × positions × head size) below which one thread does the whole call. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;

    private final WorkerPool pool;
    private final Scratch[] scratch;
    private final Call call = new Call();

    FlashAttention(WorkerPool pool) {
        this.pool = pool;
        this.scratch = new Scratch[pool.threads()];
    }

    /** Per-worker buffers: one decoded tile of keys and values, scores, and per-query-row running state. */
    private static final class Scratch {
        final int headDim;
        final int rows;
        final CpuKvCache.Rows valueRows;
        final CpuKvCache.KeyTile keyTile;
        /** The tile's keys, {@code [d][j]}: one vector load gives one dimension of many keys. */
        final float[] keysT;
        final float[] values;
        /** Scores, then softmax weights, of each query row: {@code [row][TILE]}. */
        final float[] scores;
        /** Positions of the current tile each query row sees. */
        final int[] visible;
        final float[] acc;
        final float[] max;
        final float[] sum;

        Scratch(int headDim, int rows) {
            this.headDim = headDim;
            this.rows = rows;
            this.valueRows = new CpuKvCache.Rows(TILE, headDim);
            this.keyTile = new CpuKvCache.KeyTile(headDim);
            this.keysT = keyTile.keys;
            this.values = valueRows.values;
            this.scores = new float[rows * TILE];
            this.visible = new int[rows];
            this.acc = new float[rows * headDim];
            this.max = new float[rows];
            this.sum = new float[rows];
        }
    }

    void run(CpuActivation q, CpuKvCache cache, int layer, int startPos, int heads, float scale, CpuActivation out) {
        int headDim = cache.spec().headDim();
        int kvHeads = cache.spec().kvHeads();
        int group = heads / kvHeads;
        int tokens = q.rows();
        int target = pool.threads() * 4;
        int headsPerChunk = headsPerChunk(group, kvHeads, tokens, target);
        int headChunks = heads / headsPerChunk;
        // As many tokens per chunk as the balance allows, so tiles are shared by the tokens too.
        int block = Math.clamp((long) tokens * headChunks / target, 1, MAX_QUERY_BLOCK);
        int blocks = (tokens + block - 1) / block;
        int rows = block * headsPerChunk;
        for (int w = 0; w < scratch.length; w++) {
            if (scratch[w] == null || scratch[w].headDim < headDim || scratch[w].rows < rows) {
                scratch[w] = new Scratch(headDim, rows);
            }
        }
        Call c = call;
        c.q = q;
        c.cache = cache;
        c.layer = layer;
        c.startPos = startPos;
        c.group = group;
        c.headsPerChunk = headsPerChunk;
        c.headChunks = headChunks;
        c.block = block;
        c.scale = scale;
        c.out = out;
        long work = (long) tokens * heads * (startPos + tokens) * headDim;
        if (work < MIN_PARALLEL_WORK) {
            for (int chunk = 0; chunk < blocks * headChunks; chunk++) {
                c.run(chunk, 0); // waking the pool costs more than this
            }
        } else {
            pool.run(blocks * headChunks, c);
        }
    }

    /**
     * The chunks of a {@link #run}: one task kept from call to call, the call's arguments and split in its fields, so
     * that a call allocates nothing.
     */
    private final class Call implements WorkerPool.Task {
        CpuActivation q;
        CpuKvCache cache;
        int layer;
        int startPos;
        int group;
        int headsPerChunk;
        int headChunks;
        int block;
        float scale;
        CpuActivation out;

        @Override
        public void run(int chunk, int worker) {
            int h0 = chunk % headChunks * headsPerChunk;
            int t0 = chunk / headChunks * block;
            attendBlock(q, cache, layer, startPos, h0 / group, h0, headsPerChunk, t0, Math.min(q.rows(), t0 + block),
                    scale, out, scratch[worker]);
        }
    }

    /**
     * The query heads of a GQA group read the same keys and values, so a chunk takes as many of them as the pool's
     * balance allows: each decoded tile then serves all of them. The whole group, halved while there would be fewer
     * than {@code target} chunks.
     */
    private static int headsPerChunk(int group, int kvHeads, int tokens, int target) {
        int n = group;
        while (n % 2 == 0 && (long) kvHeads * (group / n) * tokens < target) {
            n /= 2;
        }
        return n;
    }

    /** Query heads {@code [h0, h0 + nh)}, all reading KV head {@code kvHead}, for tokens {@code [t0, t1)}. */
    private static void attendBlock(CpuActivation q, CpuKvCache cache, int layer, int startPos, int kvHead, int h0,
                                    int nh, int t0, int t1, float scale, CpuActivation out, Scratch s) {
        int hd = cache.spec().headDim();
        int rows = (t1 - t0) * nh; // row r: token t0 + r / nh, query head h0 + r % nh
        java.util.Arrays.fill(s.max, 0, rows, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(s.sum, 0, rows, 0f);
        java.util.Arrays.fill(s.acc, 0, rows * hd, 0f);
        float[] qd = q.data();
        int last = startPos + t1 - 1; // the last position any query of the block sees
        for (int tile = 0; tile <= last; tile += TILE) {
            int tileLen = Math.min(TILE, last + 1 - tile);
            cache.loadKeyTile(layer, kvHead, tile, s.keyTile);
            cache.loadValues(layer, kvHead, tile, tileLen, s.valueRows);
            // Scores of every row first, then the softmax update of each, then the values: the values of the tile are
            // then read once for ROW_BLOCK rows instead of once per row.
            for (int r = 0; r < rows; r++) {
                s.visible[r] = visible(startPos, t0 + r / nh, tile, tileLen);
            }
            int r = 0;
            for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
                scores4(qd, queryOffset(q, t0, h0, nh, hd, r), queryOffset(q, t0, h0, nh, hd, r + 1),
                        queryOffset(q, t0, h0, nh, hd, r + 2), queryOffset(q, t0, h0, nh, hd, r + 3), s.keysT, hd,
                        scale, s.scores, r * TILE);
            }
            for (; r < rows; r++) {
                scores(qd, queryOffset(q, t0, h0, nh, hd, r), s.keysT, hd, scale, s.scores, r * TILE);
            }
            for (r = 0; r < rows; r++) {
                if (s.visible[r] > 0) {
                    softmaxStep(s, r, s.visible[r], hd);
                }
            }
            for (r = 0; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
                int n = Math.max(Math.max(s.visible[r], s.visible[r + 1]), Math.max(s.visible[r + 2], s.visible[r + 3]));
                if (n > 0) {
                    for (int i = r; i < r + ROW_BLOCK; i++) {
                        // Rows that see fewer positions weigh the rest by zero (rows that see none are untouched).
                        java.util.Arrays.fill(s.scores, i * TILE + Math.max(0, s.visible[i]), i * TILE + n, 0f);
                    }
                    accumulate4(s.scores, r * TILE, n, s.values, hd, s.acc, r * hd);
                }
            }
            for (; r < rows; r++) {
                if (s.visible[r] > 0) {
                    accumulate(s.scores, r * TILE, s.visible[r], s.values, hd, 0, s.acc, r * hd);
                }
            }
        }
        float[] od = out.data();
        for (int r = 0; r < rows; r++) {
            float inv = 1f / s.sum[r];
            int o = out.rowOffset(t0 + r / nh) + (h0 + r % nh) * hd;
            for (int d = 0; d < hd; d++) {
                od[o + d] = s.acc[r * hd + d] * inv;
            }
        }
    }

    /** Where query row {@code r} of a chunk starts: token {@code t0 + r / nh}, query head {@code h0 + r % nh}. */
    private static int queryOffset(CpuActivation q, int t0, int h0, int nh, int hd, int r) {
        return q.rowOffset(t0 + r / nh) + (h0 + r % nh) * hd;
    }

    /** Positions of the tile at {@code tile} ({@code tileLen} long) that the token at {@code startPos + t} sees. */
    private static int visible(int startPos, int t, int tile, int tileLen) {
        return Math.min(tileLen, startPos + t - tile + 1);
    }

    /**
     * Folds row {@code r}'s {@code visible} scores into its running maximum and sum (rescaling what it accumulated when
     * the maximum rises) and turns them into weights {@code e^(score − max)}.
     */
    private static void softmaxStep(Scratch s, int r, int visible, int hd) {
        int at = r * TILE;
        float tileMax = Float.NEGATIVE_INFINITY;
        int j = 0;
        int bound = SPECIES.loopBound(visible);
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(SPECIES, s.scores, at);
            for (j = SPECIES.length(); j < bound; j += SPECIES.length()) {
                m = FloatVector.fromArray(SPECIES, s.scores, at + j).max(m);
            }
            // Reduced through a fresh vector, with m as the operand (IntDot), here and in the sums below.
            tileMax = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY).max(m)
                    .reduceLanes(VectorOperators.MAX);
        }
        for (; j < visible; j++) {
            tileMax = Math.max(tileMax, s.scores[at + j]);
        }
        if (tileMax > s.max[r]) {
            float correction = (float) Math.exp(s.max[r] - tileMax); // 0 for the first tile
            s.sum[r] *= correction;
            scale(s.acc, r * hd, hd, correction);
            s.max[r] = tileMax;
        }
        s.sum[r] += exponentiate(s.scores, at, visible, s.max[r]);
    }

    /**
     * {@code scores[at + j] = scale · Σ_d q[qAt + d] · keysT[d·TILE + j]} for all {@link #TILE} positions of a tile
     * (those past the tile's keys are left over from an earlier tile and never read): one query row against many
     * keys at once, with no horizontal sum per key as a dot product per key needs. TILE is a multiple of every lane
     * count.
     */
    static void scores(float[] q, int qAt, float[] keysT, int hd, float scale, float[] scores, int at) {
        int l = SPECIES.length();
        FloatVector factor = FloatVector.broadcast(SPECIES, scale);
        for (int j0 = 0; j0 < TILE; j0 += 2 * l) {
            FloatVector s0 = FloatVector.zero(SPECIES);
            FloatVector s1 = s0;
            for (int d = 0; d < hd; d++) {
                FloatVector qd = FloatVector.broadcast(SPECIES, q[qAt + d]);
                int k = d * TILE + j0;
                s0 = FloatVector.fromArray(SPECIES, keysT, k).fma(qd, s0);
                s1 = FloatVector.fromArray(SPECIES, keysT, k + l).fma(qd, s1);
            }
            factor.mul(s0).intoArray(scores, at + j0);
            factor.mul(s1).intoArray(scores, at + j0 + l);
        }
    }

    /**
     * {@link #scores} for four query rows at once, into rows {@code at}, {@code at + TILE}, ...: each load of keys
     * serves four rows' multiply-adds (one row alone spends more on loads than on arithmetic).
     */
    static void scores4(float[] q, int q0, int q1, int q2, int q3, float[] keysT, int hd, float scale,
            float[] scores, int at) {
        int l = SPECIES.length();
        FloatVector factor = FloatVector.broadcast(SPECIES, scale);
        for (int j0 = 0; j0 < TILE; j0 += 2 * l) {
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector e0 = a0;
            FloatVector e1 = a0;
            for (int d = 0; d < hd; d++) {
                int k = d * TILE + j0;
                FloatVector k0 = FloatVector.fromArray(SPECIES, keysT, k);
                FloatVector k1 = FloatVector.fromArray(SPECIES, keysT, k + l);
                FloatVector x = FloatVector.broadcast(SPECIES, q[q0 + d]);
                a0 = k0.fma(x, a0);
                a1 = k1.fma(x, a1);
                x = FloatVector.broadcast(SPECIES, q[q1 + d]);
                b0 = k0.fma(x, b0);
                b1 = k1.fma(x, b1);
                x = FloatVector.broadcast(SPECIES, q[q2 + d]);
                c0 = k0.fma(x, c0);
                c1 = k1.fma(x, c1);
                x = FloatVector.broadcast(SPECIES, q[q3 + d]);
                e0 = k0.fma(x, e0);
                e1 = k1.fma(x, e1);
            }
            factor.mul(a0).intoArray(scores, at + j0);
            factor.mul(a1).intoArray(scores, at + j0 + l);
            factor.mul(b0).intoArray(scores, at + TILE + j0);
            factor.mul(b1).intoArray(scores, at + TILE + j0 + l);
            factor.mul(c0).intoArray(scores, at + 2 * TILE + j0);
            factor.mul(c1).intoArray(scores, at + 2 * TILE + j0 + l);
            factor.mul(e0).intoArray(scores, at + 3 * TILE + j0);
            factor.mul(e1).intoArray(scores, at + 3 * TILE + j0 + l);
        }
    }

    /**
     * {@code acc[accAt + d] += Σ_{j<n} p[pAt + j] · values[j·hd + d]} for {@code d} from {@code d0}: one vector of the
     * output row stays in a register while the tile's values stream past it (an update per value row would load and
     * store it each time).
     */
    static void accumulate(float[] p, int pAt, int n, float[] values, int hd, int d0, float[] acc, int accAt) {
        int d = d0;
        for (int bound = d0 + SPECIES.loopBound(hd - d0); d < bound; d += SPECIES.length()) {
            FloatVector a = FloatVector.zero(SPECIES);
            for (int j = 0; j < n; j++) {
                a = FloatVector.fromArray(SPECIES, values, j * hd + d).fma(FloatVector.broadcast(SPECIES, p[pAt + j]),
                        a);
            }
            FloatVector.fromArray(SPECIES, acc, accAt + d).add(a).intoArray(acc, accAt + d);
        }
        for (; d < hd; d++) {
            float a = acc[accAt + d];
            for (int j = 0; j < n; j++) {
                a += p[pAt + j] * values[j * hd + d];
            }
            acc[accAt + d] = a;
        }
    }

    /**
     * {@link #accumulate} for the four query rows whose weights are rows {@code pAt}, {@code pAt + TILE}, ... and whose
     * outputs are rows {@code accAt}, {@code accAt + hd}, ...: two vectors of each of the four output rows stay in
     * registers while each pair of value vectors is loaded once for all four.
     */
    static void accumulate4(float[] p, int pAt, int n, float[] values, int hd, float[] acc, int accAt) {
        int l = SPECIES.length();
        int d = 0;
        for (; d + 2 * l <= hd; d += 2 * l) {
            FloatVector zero = FloatVector.zero(SPECIES);
            FloatVector a0 = zero;
            FloatVector a1 = zero;
            FloatVector b0 = zero;
            FloatVector b1 = zero;
            FloatVector c0 = zero;
            FloatVector c1 = zero;
            FloatVector e0 = zero;
            FloatVector e1 = zero;
            for (int j = 0; j < n; j++) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, values, j * hd + d);
                FloatVector v1 = FloatVector.fromArray(SPECIES, values, j * hd + d + l);
                FloatVector x = FloatVector.broadcast(SPECIES, p[pAt + j]);
                a0 = v0.fma(x, a0);
                a1 = v1.fma(x, a1);
                x = FloatVector.broadcast(SPECIES, p[pAt + TILE + j]);
                b0 = v0.fma(x, b0);
                b1 = v1.fma(x, b1);
                x = FloatVector.broadcast(SPECIES, p[pAt + 2 * TILE + j]);
                c0 = v0.fma(x, c0);
                c1 = v1.fma(x, c1);
                x = FloatVector.broadcast(SPECIES, p[pAt + 3 * TILE + j]);
                e0 = v0.fma(x, e0);
                e1 = v1.fma(x, e1);
            }
            // Added to the output rows here rather than loaded into the accumulators before the loop: a method
            // called on a loop-carried vector is inlined only through a type profile (IntDot), and compiled early
            // (the launcher's CompileThresholdScaling), these stores stayed out of line and boxed every vector:
            // a 512-token prefill spent 50-75 ms per layer here instead of 10.
            int o0 = accAt + d;
            int o1 = o0 + hd;
            int o2 = o1 + hd;
            int o3 = o2 + hd;
            FloatVector.fromArray(SPECIES, acc, o0).add(a0).intoArray(acc, o0);
            FloatVector.fromArray(SPECIES, acc, o0 + l).add(a1).intoArray(acc, o0 + l);
            FloatVector.fromArray(SPECIES, acc, o1).add(b0).intoArray(acc, o1);
            FloatVector.fromArray(SPECIES, acc, o1 + l).add(b1).intoArray(acc, o1 + l);
            FloatVector.fromArray(SPECIES, acc, o2).add(c0).intoArray(acc, o2);
            FloatVector.fromArray(SPECIES, acc, o2 + l).add(c1).intoArray(acc, o2 + l);
            FloatVector.fromArray(SPECIES, acc, o3).add(e0).intoArray(acc, o3);
            FloatVector.fromArray(SPECIES, acc, o3 + l).add(e1).intoArray(acc, o3 + l);
        }
        if (d < hd) {
            for (int i = 0; i < ROW_BLOCK; i++) {
                accumulate(p, pAt + i * TILE, n, values, hd, d, acc, accAt + i * hd);
            }
        }
    }

    /**
     * Replaces {@code scores[at + j]} by {@code e^(scores[at + j] − max)} for {@code j < n}, as {@link FastExp#exp}
     * computes it (written out in vectors: the Vector API's own {@code EXP} gives other bits compiled than
     * interpreted, which made greedy output vary from run to run); returns their sum.
     */
    static float exponentiate(float[] scores, int at, int n, float max) {
        int j = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector m = FloatVector.broadcast(SPECIES, max);
            FloatVector one = FloatVector.broadcast(SPECIES, 1f);
            FloatVector minX = FloatVector.broadcast(SPECIES, FastExp.MIN_X);
            FloatVector maxX = FloatVector.broadcast(SPECIES, FastExp.MAX_X);
            FloatVector log2e = FloatVector.broadcast(SPECIES, FastExp.LOG2_E);
            FloatVector rounder = FloatVector.broadcast(SPECIES, FastExp.ROUNDER);
            FloatVector ln2High = FloatVector.broadcast(SPECIES, FastExp.MINUS_LN2_HIGH);
            FloatVector ln2Low = FloatVector.broadcast(SPECIES, FastExp.MINUS_LN2_LOW);
            FloatVector p0 = FloatVector.broadcast(SPECIES, FastExp.P0);
            FloatVector p1 = FloatVector.broadcast(SPECIES, FastExp.P1);
            FloatVector p2 = FloatVector.broadcast(SPECIES, FastExp.P2);
            FloatVector p3 = FloatVector.broadcast(SPECIES, FastExp.P3);
            FloatVector p4 = FloatVector.broadcast(SPECIES, FastExp.P4);
            FloatVector p5 = FloatVector.broadcast(SPECIES, FastExp.P5);
            FloatVector total = FloatVector.zero(SPECIES);
            for (; j < bound; j += SPECIES.length()) {
                FloatVector c = FloatVector.fromArray(SPECIES, scores, at + j).sub(m).max(minX).min(maxX);
                FloatVector t = c.fma(log2e, rounder);
                FloatVector k = t.sub(rounder);
                FloatVector r = k.fma(ln2Low, k.fma(ln2High, c));
                FloatVector p = r.fma(p0, p1).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
                FloatVector e = p.fma(r.mul(r), r.add(one)).mul(t.reinterpretAsInts()
                        .sub(FastExp.ROUNDER_BITS_LESS_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(scores, at + j);
                total = e.add(total);
            }
            sum = FloatVector.zero(SPECIES).add(total).reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float e = FastExp.exp(scores[at + j] - max);
            scores[at + j] = e;
            sum += e;
        }
        return sum;
    }

    private static void scale(float[] y, int at, int n, float factor) {
        for (int i = 0; i < n; i++) {
            y[at + i] *= factor;
        }
    }
}
