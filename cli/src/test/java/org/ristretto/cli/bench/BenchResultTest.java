package org.ristretto.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void testNamesFollowLlamaBench() {
        assertEquals("pp512", BenchTest.pp(512, 0).name());
        assertEquals("tg128", BenchTest.tg(128, 0).name());
        assertEquals("tg128 @ d4096", BenchTest.tg(128, 4096).name());
        assertEquals("pp16+tg8 @ d2", new BenchTest(16, 8, 2).name());
        assertEquals(26, new BenchTest(16, 8, 2).positions());
        assertThrows(IllegalArgumentException.class, () -> new BenchTest(0, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> BenchTest.pp(-1, 0));
    }

    @Test
    void statisticsAreTokensPerSecondWithSampleStandardDeviation() {
        // 100 tokens in 0.1 s, 0.2 s and 0.4 s: 1000, 500 and 250 t/s; mean 583.33;
        // sample variance ((416.67)^2 + (83.33)^2 + (333.33)^2) / 2 = 145833.33, sd 381.88.
        var r = new BenchResult(BenchTest.tg(100, 0), List.of(100_000_000L, 200_000_000L, 400_000_000L), "t");
        assertEquals(List.of(1000.0, 500.0, 250.0), r.samplesTs());
        assertEquals(583.3333, r.avgTs(), 1e-3);
        assertEquals(381.8813, r.stddevTs(), 1e-3);
        assertEquals(233_333_333L, r.avgNs());
        assertEquals(152_752_523L, r.stddevNs());
    }

    @Test
    void oneSampleHasNoSpread() {
        var r = new BenchResult(BenchTest.pp(10, 0), List.of(1_000_000L), "t");
        assertEquals(10_000.0, r.avgTs(), 1e-9);
        assertEquals(0.0, r.stddevTs());
        assertThrows(IllegalArgumentException.class, () -> new BenchResult(BenchTest.pp(1, 0), List.of(), "t"));
    }

    @Test
    void aTestThatAllocatedLikeBoxedKernelsGetsANote() {
        // tg128 twice: 256 tokens.
        var boxed = new BenchResult(BenchTest.tg(128, 0), List.of(1L, 1L), "t", 256L * 80_000_000);
        assertEquals(80_000_000, boxed.heapBytesPerToken());
        assertTrue(boxed.boxedKernelNote().orElseThrow().startsWith("note: tg128 allocated 80.0 MB of heap per token"));
        var clean = new BenchResult(BenchTest.tg(128, 0), List.of(1L, 1L), "t", 256L * 2_000_000);
        assertTrue(clean.boxedKernelNote().isEmpty(), "2 MB per token is the common, harmless boxing");
        var unknown = new BenchResult(BenchTest.tg(128, 0), List.of(1L), "t");
        assertEquals(-1, unknown.heapBytesPerToken());
        assertTrue(unknown.boxedKernelNote().isEmpty());
    }

    @Test
    void sizesAndParameterCountsPrintAsLlamaBenchPrintsThem() {
        assertEquals("0.99 MiB", LlamaBenchFields.size(1_040_128));
        assertEquals("1.00 GiB", LlamaBenchFields.size(1L << 30));
        assertEquals("0.26 M", LlamaBenchFields.params(260_032));
        assertEquals("1.24 B", LlamaBenchFields.params(1_235_814_400L));
    }

    @Test
    void sizeClassRoundsTheParameterCount() {
        assertEquals("1B", ModelLabel.sizeClass(1_235_814_400L));
        assertEquals("8B", ModelLabel.sizeClass(8_030_261_248L));
        assertEquals("0.6B", ModelLabel.sizeClass(596_049_920L));
        assertEquals("36M", ModelLabel.sizeClass(35_981_600L));
        assertEquals("260K", ModelLabel.sizeClass(260_032L));
    }
}
