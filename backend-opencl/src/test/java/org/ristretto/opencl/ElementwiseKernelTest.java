package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/** Element-wise kernels, KV-cache stores and argmax against plain Java; sizes that are not multiples of a group. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ElementwiseKernelTest {
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

    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 65, 1000})
    void addSwigluScale(int n) {
        SplittableRandom random = new SplittableRandom(n);
        float[] a = OpenClTestSupport.randomFloats(random, n, 3f);
        float[] b = OpenClTestSupport.randomFloats(random, n, 3f);
        try (DeviceBuffer ab = runtime.upload(a, "a"); DeviceBuffer bb = runtime.upload(b, "b");
                DeviceBuffer out = runtime.allocate(n * 4L, "out")) {
            ops.add(ab.all(), bb.all(), out.all(), n, n);
            float[] sum = out.readFloats();
            ops.swiglu(ab.all(), bb.all(), out.all(), n);
            float[] glu = out.readFloats();
            ops.scale(ab.all(), -0.5f, out.all(), n);
            float[] scaled = out.readFloats();
            for (int i = 0; i < n; i++) {
                assertEquals(a[i] + b[i], sum[i], 0f, "sum " + i);
                double silu = a[i] / (1 + Math.exp(-a[i]));
                assertEquals(silu * b[i], glu[i], 1e-6 * (Math.abs(silu * b[i]) + 1e-3), "swiglu " + i);
                assertEquals(a[i] * -0.5f, scaled[i], 0f, "scale " + i);
            }
        }
    }

    @Test
    void addBroadcastsOneRowInPlace() {
        int cols = 37;
        int rows = 5;
        SplittableRandom random = new SplittableRandom(5);
        float[] x = OpenClTestSupport.randomFloats(random, rows * cols, 1f);
        float[] bias = OpenClTestSupport.randomFloats(random, cols, 1f);
        try (DeviceBuffer xb = runtime.upload(x, "x"); DeviceBuffer bb = runtime.upload(bias, "bias")) {
            ops.add(xb.all(), bb.all(), xb.all(), rows * cols, cols);
            float[] y = xb.readFloats();
            for (int i = 0; i < y.length; i++) {
                assertEquals(x[i] + bias[i % cols], y[i], 0f, "value " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (DeviceBuffer b = runtime.allocate(64, "b")) {
                ops.add(b.all(), b.all(), b.all(), 10, 3);
            }
        });
    }

    @Test
    void argmaxPerRowLowestIndexWinsTiesAndNaNRowsAreFlagged() {
        int n = 1001;
        float[] x = new float[4 * n];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-10, 10);
        }
        x[777] = 50f;
        x[n + 5] = 40f;
        x[n + 900] = 40f; // a tie: the lower index wins
        x[2 * n + n - 1] = Float.POSITIVE_INFINITY;
        java.util.Arrays.fill(x, 3 * n, 4 * n, Float.NaN);
        try (DeviceBuffer xb = runtime.upload(x, "logits"); DeviceBuffer r = runtime.allocate(16, "argmax")) {
            ops.argmax(xb.all(), 4, n, r);
            int[] result = new int[4];
            r.read(0, result, 0, 4);
            assertArrayEquals(new int[] {777, 5, n - 1, n}, result);
            ops.argmax(xb.all().slice(4L * n, 4L * n), 1, n, r);
            r.read(0, result, 0, 1);
            assertEquals(5, result[0]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "Q8_0"})
    void storeKvConvertsLikeTheReferenceCodec(String typeName) {
        GgmlType type = GgmlType.valueOf(typeName);
        int n = 96;
        long at = 64;
        SplittableRandom random = new SplittableRandom(3);
        float[] src = OpenClTestSupport.randomFloats(random, n, 2f);
        src[7] = 1e-8f; // an fp16 subnormal
        try (Arena arena = Arena.ofConfined(); DeviceBuffer sb = runtime.upload(src, "src");
                DeviceBuffer cache = runtime.allocate(type.byteSize(at + n + 32), "cache")) {
            cache.fillZero();
            ops.storeKv(sb.all(), cache, at, type, n);
            MemorySegment bytes = arena.allocate(cache.bytes(), 16);
            cache.read(0, bytes);
            MemorySegment expected = arena.allocate(type.byteSize(n), 16);
            QuantFormats.of(type).quantize(src, 0, expected, 0, n);
            MemorySegment stored = bytes.asSlice(type.byteSize(at), type.byteSize(n));
            long mismatch = stored.mismatch(expected);
            if (mismatch >= 0) {
                fail(type + ": stored bytes differ from the reference codec at byte " + mismatch);
            }
            assertEquals(-1, bytes.asSlice(0, type.byteSize(at)).mismatch(arena.allocate(type.byteSize(at))),
                    "bytes before the stored range were touched");
        }
        if (type == GgmlType.F16) {
            assertEquals(Fp16.round(src[7]), Fp16.round(1e-8f));
        }
    }
}
