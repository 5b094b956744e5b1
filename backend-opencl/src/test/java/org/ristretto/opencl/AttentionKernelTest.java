package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/**
 * Tiled attention with online softmax against a plain two-pass softmax in double over the same cache values (the
 * cache is filled by the store kernel, and the reference reads it back through the scalar codec). Covers GQA, MQA
 * and plain multi-head; head sizes below and above the work-group size; one query at position 0, decode deep into the
 * context (several key tiles), and prefill chunks where each query sees a different causal prefix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttentionKernelTest {
    private OpenClRuntime runtime;
    private OpenClOps ops;

    @BeforeAll
    void open() {
        runtime = OpenClTestSupport.openPreferredDevice();
        ops = new OpenClOps(runtime);
    }

    @AfterAll
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @ParameterizedTest(name = "{0} heads={1} kv={2} hd={3} tokens={4} pos0={5}")
    @CsvSource({
        "F32, 1, 1, 8, 1, 0",
        "F32, 8, 4, 8, 1, 200",
        "F32, 4, 2, 64, 7, 130",
        "F16, 4, 1, 128, 3, 70",
        "F16, 6, 6, 32, 9, 0",
        "Q8_0, 4, 2, 64, 5, 90",
        "F32, 2, 1, 256, 2, 65"})
    void matchesTwoPassSoftmax(GgmlType type, int heads, int kvHeads, int headDim, int tokens, int pos0) {
        int positions = pos0 + tokens;
        int kvWidth = kvHeads * headDim;
        SplittableRandom random = new SplittableRandom(heads * 1000 + headDim + pos0);
        float[] keys = OpenClTestSupport.randomFloats(random, positions * kvWidth, 1f);
        float[] values = OpenClTestSupport.randomFloats(random, positions * kvWidth, 1f);
        float[] q = OpenClTestSupport.randomFloats(random, tokens * heads * headDim, 1f);
        float scale = (float) (1 / Math.sqrt(headDim));
        long cacheBytes = type.byteSize((long) (positions + 3) * kvWidth);
        try (Arena arena = Arena.ofConfined(); DeviceBuffer kb = runtime.upload(keys, "k");
                DeviceBuffer vb = runtime.upload(values, "v"); DeviceBuffer qb = runtime.upload(q, "q");
                DeviceBuffer kc = runtime.allocate(cacheBytes, "k cache");
                DeviceBuffer vc = runtime.allocate(cacheBytes, "v cache");
                DeviceBuffer out = runtime.allocate(q.length * 4L, "out")) {
            // Store in two steps, as a prompt then a continuation would.
            int first = Math.max(1, positions / 2);
            ops.storeKv(kb.all().slice(0, first * kvWidth * 4L), kc, 0, type, first * kvWidth);
            ops.storeKv(vb.all().slice(0, first * kvWidth * 4L), vc, 0, type, first * kvWidth);
            if (positions > first) {
                int rest = positions - first;
                ops.storeKv(kb.all().slice(first * kvWidth * 4L, rest * kvWidth * 4L), kc,
                        (long) first * kvWidth, type, rest * kvWidth);
                ops.storeKv(vb.all().slice(first * kvWidth * 4L, rest * kvWidth * 4L), vc,
                        (long) first * kvWidth, type, rest * kvWidth);
            }
            ops.attention(qb.all(), kc, vc, type, out.all(), tokens, heads, kvHeads, headDim, pos0, scale);
            float[] actual = out.readFloats();
            float[] kq = cached(arena, kc, type, positions * kvWidth);
            float[] vq = cached(arena, vc, type, positions * kvWidth);
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    int g = h / (heads / kvHeads);
                    int visible = pos0 + t + 1;
                    double[] s = new double[visible];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = 0; p < visible; p++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += (double) q[(t * heads + h) * headDim + d] * kq[p * kvWidth + g * headDim + d];
                        }
                        s[p] = dot * scale;
                        max = Math.max(max, s[p]);
                    }
                    double sum = 0;
                    for (int p = 0; p < visible; p++) {
                        s[p] = Math.exp(s[p] - max);
                        sum += s[p];
                    }
                    for (int d = 0; d < headDim; d++) {
                        double ref = 0;
                        for (int p = 0; p < visible; p++) {
                            ref += s[p] / sum * vq[p * kvWidth + g * headDim + d];
                        }
                        float got = actual[(t * heads + h) * headDim + d];
                        if (!(Math.abs(got - ref) <= 1e-5 + 1e-5 * Math.abs(ref))) {
                            fail(type + " token " + t + " head " + h + " dim " + d + ": expected " + ref + ", got "
                                    + got);
                        }
                    }
                }
            }
        }
    }

    /** The cache's first n values as the scalar codec decodes them. */
    private static float[] cached(Arena arena, DeviceBuffer cache, GgmlType type, int n) {
        MemorySegment bytes = arena.allocate(type.byteSize(n), 16);
        cache.read(0, bytes);
        float[] v = new float[n];
        QuantFormats.of(type).dequantize(bytes, 0, v, 0, n);
        return v;
    }
}
