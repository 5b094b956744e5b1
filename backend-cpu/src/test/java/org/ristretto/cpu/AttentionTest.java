package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.FastExp;

/**
 * The tiled online-softmax attention against a naive one (a full score row, double precision, plain softmax) on
 * random inputs: context lengths from 1 to several tiles + 1, GQA ratios 1, 2, 4 and MQA, a batch of queries after
 * earlier positions (startPos > 0), every cache type, 1 and 3 threads.
 *
 * <p>Two checks per case. (1) Against the naive attention over the values as the cache stores them (F16 or Q8_0
 * rounded through the reference codecs): only float arithmetic differs, so the error is that of float sums of at most
 * a few hundred terms of size at most max|v|: 1e-5 · max|v| per output leaves a wide margin. (2) Against the naive
 * attention over the unrounded F32 inputs, with a bound derived from the storage error: if every key moves by
 * {@code Δk} and every value by at most {@code εv}, each score moves by at most
 * {@code δ = scale · max_j Σ_i |q_i||Δk_ji|}, so each softmax weight changes by a factor within {@code e^{±2δ}} and
 * the output by at most {@code εv + (e^{2δ} - 1) · max|v|}.
 */
class AttentionTest {
    private static final int TILE = FlashAttention.TILE;

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        int[] contexts = {1, 2, TILE - 1, TILE, TILE + 1, 2 * TILE + 1, 4 * TILE + 1};
        int[][] headShapes = {{4, 4}, {4, 2}, {8, 2}, {4, 1}}; // ratio 1, 2, 4, MQA
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0};
        int i = 0;
        for (int context : contexts) {
            for (int[] hs : headShapes) {
                for (GgmlType type : types) {
                    int headDim = type == GgmlType.Q8_0 ? (i % 2 == 0 ? 32 : 64) : new int[] {8, 24, 64}[i % 3];
                    int queries = Math.min(context, new int[] {1, 3, 9}[i % 3]);
                    int threads = i % 2 == 0 ? 1 : 3;
                    list.add(Arguments.of(context, hs[0], hs[1], headDim, queries, type, threads));
                    i++;
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "ctx={0} heads={1}/{2} hd={3} queries={4} {5} threads={6}")
    @MethodSource("cases")
    void matchesNaiveAttention(int context, int heads, int kvHeads, int headDim, int queries, GgmlType type,
                               int threads) {
        Random rnd = new Random(context * 131L + heads * 17L + kvHeads * 7L + headDim + type.ordinal());
        int kvWidth = kvHeads * headDim;
        float[] keys = gaussian(rnd, context * kvWidth, 1.0f);
        float[] values = gaussian(rnd, context * kvWidth, 1.0f);
        float[] q = gaussian(rnd, queries * heads * headDim, 1.0f);
        float scale = (float) (1 / Math.sqrt(headDim));
        int startPos = context - queries;
        int layer = 1;

        float[] out = new float[queries * heads * headDim];
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), threads);
             KvCache cache = backend.allocateKvCache(new KvCacheSpec(2, context + 3, kvHeads, headDim, type))) {
            // Store in uneven batches, as prefill then decode would.
            for (int from = 0; from < context; ) {
                int n = Math.min(context - from, 1 + (from * 7 + 5) % 23);
                Tensor k = backend.allocate("k", kvWidth, n);
                Tensor v = backend.allocate("v", kvWidth, n);
                backend.write(k, keys, from * kvWidth);
                backend.write(v, values, from * kvWidth);
                backend.storeKv(cache, layer, from, k, v);
                from += n;
            }
            Tensor qt = backend.allocate("q", heads * headDim, queries);
            Tensor ot = backend.allocate("out", heads * headDim, queries);
            backend.write(qt, q, 0);
            backend.attention(qt, cache, layer, startPos, heads, scale, ot);
            backend.read(ot, out, 0);
        }

        float[] storedK = stored(keys, headDim, type);
        float[] storedV = stored(values, headDim, type);
        double[] exact = naive(q, storedK, storedV, queries, heads, kvHeads, headDim, startPos, scale);
        double maxV = maxAbs(storedV);
        assertClose(exact, out, 1e-5 * maxV + 1e-6, "vs naive attention over the stored values");

        double[] unrounded = naive(q, keys, values, queries, heads, kvHeads, headDim, startPos, scale);
        double epsV = maxAbsDiff(values, storedV);
        double delta = scoreShift(q, keys, storedK, queries, heads, kvHeads, headDim, startPos, scale);
        double bound = epsV + Math.expm1(2 * delta) * maxAbs(values) + 1e-5 * maxV + 1e-6;
        assertClose(unrounded, out, bound, "vs naive attention over the F32 inputs (derived bound)");
    }

    /**
     * Positions past the last one a query sees may hold anything an earlier, longer sequence left there (infinite
     * keys here, whose scores would be NaN): they are never read, even inside the tile a query's last position is in.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0"})
    void positionsPastTheQueriedOnesAreNeverRead(GgmlType type) {
        Random rnd = new Random(5);
        int heads = 8;
        int kvHeads = 2;
        int headDim = 64;
        int context = TILE + 5;
        int queries = 3;
        int kvWidth = kvHeads * headDim;
        float[] keys = gaussian(rnd, context * kvWidth, 1.0f);
        float[] values = gaussian(rnd, context * kvWidth, 1.0f);
        float[] stale = new float[2 * TILE * kvWidth];
        java.util.Arrays.fill(stale, 1e30f);
        float[] q = gaussian(rnd, queries * heads * headDim, 1.0f);
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] out = new float[queries * heads * headDim];
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 2);
             KvCache cache = backend.allocateKvCache(new KvCacheSpec(1, 2 * TILE, kvHeads, headDim, type))) {
            Tensor k = backend.allocate("k", kvWidth, 2 * TILE);
            backend.write(k, stale, 0);
            backend.storeKv(cache, 0, 0, k, k);
            Tensor kv = backend.allocate("kv", kvWidth, context);
            Tensor vv = backend.allocate("vv", kvWidth, context);
            backend.write(kv, keys, 0);
            backend.write(vv, values, 0);
            backend.storeKv(cache, 0, 0, kv, vv);
            for (int t = 0; t < queries; t++) { // one token at a time, as decoding runs them
                Tensor qt = backend.allocate("q", heads * headDim, 1);
                Tensor ot = backend.allocate("out", heads * headDim, 1);
                backend.write(qt, q, t * heads * headDim);
                backend.attention(qt, cache, 0, context - queries + t, heads, scale, ot);
                backend.read(ot, out, t * heads * headDim);
            }
        }
        float[] storedV = stored(values, headDim, type);
        double[] exact = naive(q, stored(keys, headDim, type), storedV, queries, heads, kvHeads, headDim,
                context - queries, scale);
        assertClose(exact, out, 1e-5 * maxAbs(storedV) + 1e-6, "beside stale positions");
    }

    /** The keys or values as the cache of {@code type} stores them, row by row of one head. */
    private static float[] stored(float[] x, int headDim, GgmlType type) {
        float[] r = new float[x.length];
        switch (type) {
            case F32 -> System.arraycopy(x, 0, r, 0, x.length);
            case F16 -> {
                for (int i = 0; i < x.length; i++) {
                    r[i] = Fp16.round(x[i]);
                }
            }
            case Q8_0 -> {
                QuantFormat f = QuantFormats.of(type);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment block = arena.allocate(type.byteSize(headDim));
                    for (int at = 0; at < x.length; at += headDim) {
                        f.quantize(x, at, block, 0, headDim);
                        f.dequantize(block, 0, r, at, headDim);
                    }
                }
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
        return r;
    }

    /** Softmax attention with a whole score row per query, in double. */
    static double[] naive(float[] q, float[] k, float[] v, int queries, int heads, int kvHeads, int hd, int startPos,
                          float scale) {
        double[] out = new double[queries * heads * hd];
        int group = heads / kvHeads;
        for (int t = 0; t < queries; t++) {
            int visible = startPos + t + 1;
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                double[] s = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int p = 0; p < visible; p++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += (double) q[(t * heads + h) * hd + i] * k[(p * kvHeads + g) * hd + i];
                    }
                    s[p] = dot * scale;
                    max = Math.max(max, s[p]);
                }
                double sum = 0;
                for (int p = 0; p < visible; p++) {
                    s[p] = Math.exp(s[p] - max);
                    sum += s[p];
                }
                for (int p = 0; p < visible; p++) {
                    for (int i = 0; i < hd; i++) {
                        out[(t * heads + h) * hd + i] += s[p] / sum * v[(p * kvHeads + g) * hd + i];
                    }
                }
            }
        }
        return out;
    }

    /** The largest change of any score caused by storing the keys: {@code scale · Σ_i |q_i||Δk_i|}. */
    private static double scoreShift(float[] q, float[] k, float[] stored, int queries, int heads, int kvHeads, int hd,
                                     int startPos, float scale) {
        double worst = 0;
        int group = heads / kvHeads;
        for (int t = 0; t < queries; t++) {
            for (int h = 0; h < heads; h++) {
                for (int p = 0; p <= startPos + t; p++) {
                    double s = 0;
                    for (int i = 0; i < hd; i++) {
                        int ki = (p * kvHeads + h / group) * hd + i;
                        s += Math.abs(q[(t * heads + h) * hd + i]) * Math.abs(k[ki] - stored[ki]);
                    }
                    worst = Math.max(worst, s * scale);
                }
            }
        }
        return worst;
    }

    private static void assertClose(double[] want, float[] got, double tolerance, String what) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tolerance, what + ": max difference " + worst + " at " + at + " exceeds " + tolerance);
    }

    static float[] gaussian(Random rnd, int n, float sigma) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = (float) rnd.nextGaussian() * sigma;
        }
        return r;
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float f : x) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
    /**
     * The softmax's exponentials are {@link FastExp#exp} bit for bit, in the vector lanes and the scalar tail alike,
     * over enough calls that the method runs interpreted and compiled (the Vector API's own {@code EXP} gave other
     * bits compiled, so greedy output depended on JIT timing); the sum is theirs to float rounding.
     */
    @Test
    void exponentialsAreFastExpBitForBit() {
        Random rnd = new Random(9);
        for (int round = 0; round < 3000; round++) {
            int n = 1 + rnd.nextInt(3 * TILE);
            int at = rnd.nextInt(5);
            float[] scores = new float[at + n];
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                scores[at + j] = (float) (rnd.nextGaussian() * (round % 3 == 0 ? 40 : 4));
                max = Math.max(max, scores[at + j]);
            }
            float[] before = scores.clone();
            float sum = FlashAttention.exponentiate(scores, at, n, max);
            double expectedSum = 0;
            for (int j = 0; j < n; j++) {
                float expected = FastExp.exp(before[at + j] - max);
                expectedSum += expected;
                if (Float.floatToRawIntBits(scores[at + j]) != Float.floatToRawIntBits(expected)) {
                    throw new AssertionError("round " + round + ", position " + j + " of " + n + ": " + scores[at + j]
                            + " against FastExp's " + expected);
                }
            }
            assertTrue(Math.abs(sum - expectedSum) <= 1e-5 * expectedSum, "sum " + sum + " against " + expectedSum);
        }
    }
}
