package org.ristretto.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
    /**
     * Query rows (tokens × heads) of a chunk from which a tile's keys are transposed for {@link #scores}: the
     * transposition costs about what scoring one row the other way does, so a one-token chunk (decode: the 4 heads
     * of a GQA group) scores key by key ({@link #dot}) instead.
     */
    static final int TRANSPOSE_MIN_ROWS = 8;
    /** The most tokens one chunk handles; the tokens of a chunk share each decoded tile. */
    private static final int MAX_QUERY_BLOCK = 8;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds (query rows × heads × positions × head size) below which one thread does the whole call. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;

    private final WorkerPool pool;
    private final Scratch[] scratch;

    FlashAttention(WorkerPool pool) {
        this.pool = pool;
        this.scratch = new Scratch[pool.threads()];
    }

    /** Per-worker buffers: one decoded tile of keys and values, scores, and per-query-row running state. */
    private static final class Scratch {
        final int headDim;
        final int rows;
        final float[] keys;
        /** The tile's keys transposed, {@code [d][j]}: one vector load gives one dimension of many keys. */
        final float[] keysT;
        final float[] values;
        final short[] halves;
        final byte[] raw;
        final float[] scores = new float[TILE];
        final float[] acc;
        final float[] max;
        final float[] sum;

        Scratch(int headDim, int rows) {
            this.headDim = headDim;
            this.rows = rows;
            this.keys = new float[TILE * headDim];
            this.keysT = new float[headDim * TILE];
            this.values = new float[TILE * headDim];
            this.halves = new short[TILE * headDim];
            this.raw = new byte[TILE * headDim / 32 * 34 + 34];
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
        WorkerPool.Task task = (chunk, worker) -> {
            int h0 = chunk % headChunks * headsPerChunk;
            int t0 = chunk / headChunks * block;
            attendBlock(q, cache, layer, startPos, h0 / group, h0, headsPerChunk, t0, Math.min(tokens, t0 + block),
                    scale, out, scratch[worker]);
        };
        long work = (long) tokens * heads * (startPos + tokens) * headDim;
        if (work < MIN_PARALLEL_WORK) {
            for (int c = 0; c < blocks * headChunks; c++) {
                task.run(c, 0); // waking the pool costs more than this
            }
        } else {
            pool.run(blocks * headChunks, task);
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
        boolean transposed = rows >= TRANSPOSE_MIN_ROWS;
        for (int tile = 0; tile <= last; tile += TILE) {
            int tileLen = Math.min(TILE, last + 1 - tile);
            cache.load(true, layer, kvHead, tile, tileLen, s.keys, s.halves, s.raw);
            cache.load(false, layer, kvHead, tile, tileLen, s.values, s.halves, s.raw);
            if (transposed) {
                transpose(s.keys, tileLen, hd, s.keysT);
            }
            for (int r = 0; r < rows; r++) {
                int t = t0 + r / nh;
                int visible = Math.min(tileLen, startPos + t - tile + 1);
                if (visible <= 0) {
                    continue;
                }
                int qAt = q.rowOffset(t) + (h0 + r % nh) * hd;
                if (transposed) {
                    scores(qd, qAt, s.keysT, hd, scale, s.scores);
                } else {
                    for (int j = 0; j < visible; j++) {
                        s.scores[j] = dot(qd, qAt, s.keys, j * hd, hd) * scale;
                    }
                }
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    tileMax = Math.max(tileMax, s.scores[j]);
                }
                int accAt = r * hd;
                if (tileMax > s.max[r]) {
                    float correction = (float) Math.exp(s.max[r] - tileMax); // 0 for the first tile
                    s.sum[r] *= correction;
                    scale(s.acc, accAt, hd, correction);
                    s.max[r] = tileMax;
                }
                float sum = s.sum[r] + exponentiate(s.scores, visible, s.max[r]);
                accumulate(s.scores, visible, s.values, hd, s.acc, accAt);
                s.sum[r] = sum;
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

    /** {@code keysT[d·TILE + j] = keys[j·hd + d]} for the {@code n} keys of a tile. */
    static void transpose(float[] keys, int n, int hd, float[] keysT) {
        for (int j = 0; j < n; j++) {
            for (int d = 0; d < hd; d++) {
                keysT[d * TILE + j] = keys[j * hd + d];
            }
        }
    }

    /**
     * {@code scores[j] = scale · Σ_d q[qAt + d] · keysT[d·TILE + j]} for all {@link #TILE} positions of a tile
     * (those past the tile's keys are left over from an earlier tile and never read): one query row against many
     * keys at once, with no horizontal sum per key as a dot product per key needs. TILE is a multiple of every lane
     * count.
     */
    static void scores(float[] q, int qAt, float[] keysT, int hd, float scale, float[] scores) {
        int l = SPECIES.length();
        for (int j0 = 0; j0 < TILE; j0 += 4 * l) {
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int d = 0; d < hd; d++) {
                FloatVector qd = FloatVector.broadcast(SPECIES, q[qAt + d]);
                int k = d * TILE + j0;
                s0 = FloatVector.fromArray(SPECIES, keysT, k).fma(qd, s0);
                s1 = FloatVector.fromArray(SPECIES, keysT, k + l).fma(qd, s1);
                s2 = FloatVector.fromArray(SPECIES, keysT, k + 2 * l).fma(qd, s2);
                s3 = FloatVector.fromArray(SPECIES, keysT, k + 3 * l).fma(qd, s3);
            }
            s0.mul(scale).intoArray(scores, j0);
            s1.mul(scale).intoArray(scores, j0 + l);
            s2.mul(scale).intoArray(scores, j0 + 2 * l);
            s3.mul(scale).intoArray(scores, j0 + 3 * l);
        }
    }

    /**
     * {@code acc[accAt + d] += Σ_{j<n} p[j] · values[j·hd + d]}: one vector of the output row stays in a register
     * while the tile's values stream past it (an update per value row would load and store it each time).
     */
    static void accumulate(float[] p, int n, float[] values, int hd, float[] acc, int accAt) {
        int d = 0;
        for (int bound = SPECIES.loopBound(hd); d < bound; d += SPECIES.length()) {
            FloatVector a = FloatVector.fromArray(SPECIES, acc, accAt + d);
            for (int j = 0; j < n; j++) {
                a = FloatVector.fromArray(SPECIES, values, j * hd + d).fma(FloatVector.broadcast(SPECIES, p[j]), a);
            }
            a.intoArray(acc, accAt + d);
        }
        for (; d < hd; d++) {
            float a = acc[accAt + d];
            for (int j = 0; j < n; j++) {
                a += p[j] * values[j * hd + d];
            }
            acc[accAt + d] = a;
        }
    }

    /** Replaces {@code scores[j]} by {@code e^(scores[j] - max)} for {@code j < n} and returns their sum. */
    static float exponentiate(float[] scores, int n, float max) {
        int j = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector m = FloatVector.broadcast(SPECIES, max);
            FloatVector total = FloatVector.zero(SPECIES);
            for (; j < bound; j += SPECIES.length()) {
                FloatVector e = FloatVector.fromArray(SPECIES, scores, j).sub(m).lanewise(VectorOperators.EXP);
                e.intoArray(scores, j);
                total = total.add(e);
            }
            sum = total.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
        }
        return sum;
    }

    static float dot(float[] a, int aAt, float[] b, int bAt, int n) {
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector v = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                v = FloatVector.fromArray(SPECIES, a, aAt + i).fma(FloatVector.fromArray(SPECIES, b, bAt + i), v);
            }
            sum = v.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += a[aAt + i] * b[bAt + i];
        }
        return sum;
    }

    private static void scale(float[] y, int at, int n, float factor) {
        for (int i = 0; i < n; i++) {
            y[at + i] *= factor;
        }
    }
}
