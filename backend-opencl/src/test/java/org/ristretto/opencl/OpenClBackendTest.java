package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.Probe;
import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.CpuBackendProvider;

/**
 * The Backend SPI on OpenCL against the CPU backend, operation by operation, on the paths a model run does not reach
 * with the test models: row views, a bias weight added to every row, gate and up of different types, rope with a
 * frequency-factor tensor and YaRN scaling, a Q8_0 KV cache, argmax over several rows, and the errors for bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClBackendTest {
    private Backend ocl;
    private Backend cpu;
    private Arena arena;

    @BeforeAll
    void open() {
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device: " + probe.reason());
        ocl = new OpenClBackendProvider().open(new BackendOptions(probe.preferredDevice().index(), 1));
        cpu = new CpuBackendProvider().open(new BackendOptions(0, 1));
        arena = Arena.ofShared();
    }

    @AfterAll
    void close() {
        if (ocl != null) {
            ocl.close();
            cpu.close();
            arena.close();
        }
    }

    /** The same tensor on both backends. */
    private record Pair(Tensor ocl, Tensor cpu) {}

    private Pair weight(String name, GgmlType type, int cols, int rows, SplittableRandom random) {
        OpenClTestSupport.Encoded e = OpenClTestSupport.encode(arena, type,
                OpenClTestSupport.randomFloats(random, rows * cols, 0.3f), rows, cols);
        return new Pair(ocl.weight(name, type, cols, rows, e.bytes()), cpu.weight(name, type, cols, rows, e.bytes()));
    }

    private Pair activation(String name, int cols, int rows, float[] values) {
        Pair p = new Pair(ocl.allocate(name, cols, rows), cpu.allocate(name, cols, rows));
        if (values != null) {
            ocl.write(p.ocl(), values, 0);
            cpu.write(p.cpu(), values, 0);
        }
        return p;
    }

    private void assertSame(Pair p, double tolerance) {
        int n = p.ocl().rows() * p.ocl().columns();
        float[] a = new float[n];
        float[] b = new float[n];
        ocl.read(p.ocl(), a, 0);
        cpu.read(p.cpu(), b, 0);
        for (int i = 0; i < n; i++) {
            if (!(Math.abs(a[i] - b[i]) <= tolerance * (1 + Math.abs(b[i])))) {
                fail(p.ocl().name() + " value " + i + ": cpu " + b[i] + ", opencl " + a[i]);
            }
        }
    }

    @Test
    void viewsBiasAndMixedTypeSwiGlu() {
        SplittableRandom random = new SplittableRandom(11);
        int cols = 64;
        int hidden = 96;
        Pair x = activation("x", cols, 5, OpenClTestSupport.randomFloats(random, cols * 5, 1f));
        // F16 and F32: the CPU backend quantizes activations for quantized weights, which would blur the comparison.
        Pair gate = weight("gate", GgmlType.F16, cols, hidden, random);
        Pair up = weight("up", GgmlType.Q4_K, 256, hidden, random);
        Pair upF32 = weight("up32", GgmlType.F32, cols, hidden, random);
        Pair out = activation("out", hidden, 5, null);
        for (Backend b : new Backend[] {ocl, cpu}) {
            boolean o = b == ocl;
            b.matmulSwiGlu(o ? gate.ocl() : gate.cpu(), o ? upF32.ocl() : upF32.cpu(), o ? x.ocl() : x.cpu(),
                    o ? out.ocl() : out.cpu());
        }
        assertSame(out, 1e-4);
        assertThrows(IllegalArgumentException.class, () -> ocl.matmulSwiGlu(gate.ocl(), up.ocl(), x.ocl(), out.ocl()));

        // Rows 2..4 of x through a view, into a view of rows 1..3 of the output; a one-row bias weight on top.
        Pair bias = new Pair(null, null);
        float[] biasValues = OpenClTestSupport.randomFloats(random, hidden, 1f);
        MemorySegment biasBytes = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, biasValues);
        bias = new Pair(ocl.weight("bias", GgmlType.F32, hidden, 1, biasBytes),
                cpu.weight("bias", GgmlType.F32, hidden, 1, biasBytes));
        Pair xs = new Pair(ocl.view(x.ocl(), 2, 3), cpu.view(x.cpu(), 2, 3));
        Pair os = new Pair(ocl.view(out.ocl(), 1, 3), cpu.view(out.cpu(), 1, 3));
        ocl.matmul(gate.ocl(), xs.ocl(), os.ocl());
        cpu.matmul(gate.cpu(), xs.cpu(), os.cpu());
        ocl.add(os.ocl(), bias.ocl(), os.ocl());
        cpu.add(os.cpu(), bias.cpu(), os.cpu());
        assertSame(out, 1e-4);
        ocl.free(os.ocl()); // a view owns nothing: the parent stays usable
        assertSame(out, 1e-4);
    }

    @Test
    void ropeWithFactorTensorAndYarn() {
        SplittableRandom random = new SplittableRandom(12);
        int headDim = 64;
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1 + (float) random.nextDouble(0, 4);
        }
        MemorySegment fb = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, factors);
        Tensor fo = ocl.weight("rope_freqs", GgmlType.F32, factors.length, 1, fb);
        Tensor fc = cpu.weight("rope_freqs", GgmlType.F32, factors.length, 1, fb);
        for (RopeLayout layout : RopeLayout.values()) {
            Pair q = activation("q", 4 * headDim, 3, OpenClTestSupport.randomFloats(random, 4 * headDim * 3, 1f));
            ocl.rope(q.ocl(), headDim, 700, new RopeSpec(layout, headDim, 500000f, 0.125f, fo, 1f, 1f, 32f, 1f,
                    8192));
            cpu.rope(q.cpu(), headDim, 700, new RopeSpec(layout, headDim, 500000f, 0.125f, fc, 1f, 1f, 32f, 1f,
                    8192));
            assertSame(q, 2e-4);
            Pair k = activation("k", 2 * headDim, 2, OpenClTestSupport.randomFloats(random, 2 * headDim * 2, 1f));
            ocl.rope(k.ocl(), headDim, 3, RopeSpec.plain(layout, 32, 10000f));
            cpu.rope(k.cpu(), headDim, 3, RopeSpec.plain(layout, 32, 10000f));
            assertSame(k, 1e-5);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0"})
    void kvCacheAndAttentionMatchCpu(GgmlType type) {
        assertTrue(ocl.supports(Op.ATTENTION, type) && ocl.supports(Op.STORE_KV, type));
        SplittableRandom random = new SplittableRandom(13);
        int headDim = 64;
        int kvHeads = 2;
        int heads = 6;
        KvCacheSpec spec = new KvCacheSpec(2, 40, kvHeads, headDim, type);
        try (KvCache co = ocl.allocateKvCache(spec); KvCache cc = cpu.allocateKvCache(spec)) {
            int prompt = 29;
            Pair k = activation("k", kvHeads * headDim, prompt, OpenClTestSupport.randomFloats(random,
                    kvHeads * headDim * prompt, 1f));
            Pair v = activation("v", kvHeads * headDim, prompt, OpenClTestSupport.randomFloats(random,
                    kvHeads * headDim * prompt, 1f));
            Pair q = activation("q", heads * headDim, prompt, OpenClTestSupport.randomFloats(random,
                    heads * headDim * prompt, 1f));
            Pair out = activation("att", heads * headDim, prompt, null);
            ocl.storeKv(co, 1, 0, k.ocl(), v.ocl());
            cpu.storeKv(cc, 1, 0, k.cpu(), v.cpu());
            ocl.attention(q.ocl(), co, 1, 0, heads, 0.125f, out.ocl());
            cpu.attention(q.cpu(), cc, 1, 0, heads, 0.125f, out.cpu());
            assertSame(out, 1e-4);
            // One more token at position 29, through one-row views.
            Pair k1 = new Pair(ocl.view(k.ocl(), 3, 1), cpu.view(k.cpu(), 3, 1));
            Pair v1 = new Pair(ocl.view(v.ocl(), 4, 1), cpu.view(v.cpu(), 4, 1));
            Pair q1 = new Pair(ocl.view(q.ocl(), 5, 1), cpu.view(q.cpu(), 5, 1));
            Pair o1 = new Pair(ocl.view(out.ocl(), 0, 1), cpu.view(out.cpu(), 0, 1));
            ocl.storeKv(co, 1, prompt, k1.ocl(), v1.ocl());
            cpu.storeKv(cc, 1, prompt, k1.cpu(), v1.cpu());
            ocl.attention(q1.ocl(), co, 1, prompt, heads, 0.125f, o1.ocl());
            cpu.attention(q1.cpu(), cc, 1, prompt, heads, 0.125f, o1.cpu());
            assertSame(o1, 1e-4);
            assertThrows(IllegalArgumentException.class, () -> ocl.storeKv(co, 1, 39, k.ocl(), v.ocl()));
            assertThrows(IllegalArgumentException.class, () -> ocl.attention(q.ocl(), co, 2, 0, heads, 1f,
                    out.ocl()));
        }
    }

    @Test
    void argmaxRowsGetRowsAndErrors() {
        SplittableRandom random = new SplittableRandom(14);
        float[] logits = OpenClTestSupport.randomFloats(random, 3 * 1000, 1f);
        logits[417] = 99f;
        logits[1000 + 3] = 99f;
        logits[2000 + 999] = 99f;
        Pair l = activation("logits", 1000, 3, logits);
        assertArrayEquals(new int[] {417, 3, 999}, ocl.argmax(l.ocl()));
        assertArrayEquals(cpu.argmax(l.cpu()), ocl.argmax(l.ocl()));

        Pair table = weight("token_embd", GgmlType.Q6_K, 256, 20, random);
        Pair rows = activation("embd", 256, 4, null);
        ocl.getRows(table.ocl(), new int[] {19, 0, 7, 7}, rows.ocl());
        cpu.getRows(table.cpu(), new int[] {19, 0, 7, 7}, rows.cpu());
        assertSame(rows, 1e-6);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ocl.getRows(table.ocl(), new int[] {1, 2, 20, 3}, rows.ocl()));
        assertTrue(bad.getMessage().contains("id 20") && bad.getMessage().contains("token_embd"), bad.getMessage());
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> ocl.matmul(table.cpu(), rows.ocl(), rows.ocl()));
        assertTrue(foreign.getMessage().contains("does not belong"), foreign.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> ocl.matmul(table.ocl(), l.ocl(), rows.ocl()));
        assertTrue(shape.getMessage().contains("matmul"), shape.getMessage());
        assertFalse(ocl.supports(Op.MATMUL, GgmlType.Q8_K));
        assertFalse(ocl.supports(Op.RMS_NORM, GgmlType.F16));
        ocl.synchronize();
    }
}
