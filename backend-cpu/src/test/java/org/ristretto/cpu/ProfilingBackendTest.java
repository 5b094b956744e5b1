package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.ProfilingBackend;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/** The timing wrapper passes operations through unchanged and counts them per operation and weight shape. */
class ProfilingBackendTest {
    private final CpuBackend cpu = new CpuBackend(CpuBackendProvider.hostDevice(), 2);
    private final ProfilingBackend profiled = new ProfilingBackend(cpu);
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        profiled.close(); // closes nothing
        cpu.close();
        arena.close();
    }

    @Test
    void productsAndAddsAreCountedWithTheirWeightBytesAndResultsUnchanged() {
        int cols = 64;
        int rows = 24;
        Random rnd = new Random(3);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        long rowBytes = GgmlType.Q8_0.byteSize(cols);
        MemorySegment data = arena.allocate(rowBytes * rows);
        QuantFormats.of(GgmlType.Q8_0).quantize(values, 0, data, 0, rows * cols);
        Tensor w = profiled.weight("w", GgmlType.Q8_0, cols, rows, data);
        assertSame(cpu, w.backend(), "tensors stay the wrapped backend's");
        Tensor x = profiled.allocate("x", cols, 1);
        Tensor viaProfile = profiled.allocate("out", rows, 1);
        Tensor direct = cpu.allocate("direct", rows, 1);
        float[] in = new float[cols];
        for (int i = 0; i < cols; i++) {
            in[i] = (float) rnd.nextGaussian();
        }
        profiled.write(x, in, 0);
        profiled.reset(); // the write above is not counted
        profiled.matmul(w, x, viaProfile);
        profiled.matmul(w, x, viaProfile);
        profiled.add(viaProfile, viaProfile, viaProfile);
        cpu.matmul(w, x, direct);

        float[] a = new float[rows];
        float[] b = new float[rows];
        cpu.read(viaProfile, a, 0);
        cpu.read(direct, b, 0);
        for (int i = 0; i < rows; i++) {
            b[i] *= 2;
        }
        assertArrayEquals(b, a);

        List<ProfilingBackend.Entry> entries = profiled.entries();
        assertEquals(2, entries.size(), entries.toString());
        ProfilingBackend.Entry product = entries.stream().filter(e -> e.operation().startsWith("matmul")).findFirst()
                .orElseThrow();
        assertEquals("matmul q8_0 24x64", product.operation());
        assertEquals(2, product.calls());
        assertEquals(2 * rowBytes * rows, product.weightBytes());
        assertTrue(product.nanos() > 0 && product.microsPerCall() > 0 && product.weightGigabytesPerSecond() > 0);
        ProfilingBackend.Entry add = entries.stream().filter(e -> e.operation().equals("add")).findFirst()
                .orElseThrow();
        assertEquals(1, add.calls());
        assertEquals(0, add.weightBytes());
        assertEquals(0.0, add.weightGigabytesPerSecond(), "no weights, no bandwidth");

        profiled.reset();
        assertTrue(profiled.entries().isEmpty());
    }
}
