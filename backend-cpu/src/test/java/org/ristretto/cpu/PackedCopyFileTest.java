package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;

/**
 * Packed copies kept in a file between backends ({@link PackedCopyFile}): a later backend maps them and multiplies
 * exactly as the one that packed them, and anything that does not match (a changed matrix, another model version, a
 * corrupt file, a folder that cannot be written) is noted and packed again, never used.
 */
class PackedCopyFileTest {
    private static final int ROWS = PackBudgetTest.ROWS;
    private static final int COLS = PackBudgetTest.COLS;

    @TempDir
    Path dir;

    private final List<String> notes = new ArrayList<>();
    private final SplittableRandom rnd = new SplittableRandom(5);
    private final float[] x = randomInput();

    @Test
    void aLaterBackendMapsTheCopiesAndMultipliesAlike() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            Path file = onlyFile();
            long written = Files.getLastModifiedTime(file).toMillis();

            float[][] again = products(run.cache, run.a, run.b);
            assertNoted("2 matrices mapped from " + file);
            assertTrue(notes.stream().noneMatch(n -> n.contains("saved")), "nothing new to save: " + notes);
            assertArrayEquals(run.products[0], again[0], "matrix a from the file");
            assertArrayEquals(run.products[1], again[1], "matrix b from the file");
            assertEquals(written, Files.getLastModifiedTime(file).toMillis(), "the file is left as it was");
        }
    }

    @Test
    void aChangedMatrixIsPackedAgain() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            MemorySegment changed = PackBudgetTest.q8_0(arena, rnd);
            float[][] got = products(run.cache, changed, run.b);
            assertArrayEquals(inMemory(changed), got[0], "the changed matrix is packed from its own blocks");
            assertNoted("saved to");
        }
    }

    @Test
    void anotherVersionOfTheModelIsNotUsed() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            PackedCopyCache rewritten = new PackedCopyCache(run.cache.directory(), run.cache.model(),
                    "another size and time", notes::add);
            MemorySegment other = PackBudgetTest.q8_0(arena, rnd);
            float[][] got = products(rewritten, other, run.b);
            assertNoted("another version");
            assertArrayEquals(inMemory(other), got[0], "packed from the new file's blocks");
            assertNoted("saved to");
        }
    }

    @Test
    void aCorruptFileIsNotedPackedAgainAndReplaced() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            PackedCopyCache cache = run.cache;
            MemorySegment a = run.a;
            MemorySegment b = run.b;
            float[][] first = run.products;
            Path file = onlyFile();
            byte[] bytes = Files.readAllBytes(file);
            for (int cut : new int[] {0, 5, 200, 5000}) {
                Files.write(file, Arrays.copyOf(bytes, cut));
                notes.clear();
                float[][] got = products(cache, a, b);
                assertNoted("unreadable");
                assertArrayEquals(first[0], got[0], "cut at " + cut + ": packed again");
                assertNoted("saved to");
            }
            // A length field that asks for far more than the file holds.
            byte[] huge = bytes.clone();
            huge[8] = (byte) 0xff;
            huge[9] = (byte) 0xff;
            huge[10] = (byte) 0xff;
            huge[11] = (byte) 0x7f;
            Files.write(file, huge);
            notes.clear();
            assertArrayEquals(first[1], products(cache, a, b)[1], "a huge key length: packed again");
            assertNoted("string length 2147483647 at byte 8");
            notes.clear();
            products(cache, a, b);
            assertNoted("2 matrices mapped from");
        }
    }

    @Test
    void aFolderThatCannotBeWrittenIsNoted() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("plain-file"), "not a folder");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = PackBudgetTest.q8_0(arena, rnd);
            PackedCopyCache cache = new PackedCopyCache(notAFolder.resolve("cache"), model(), "v1", notes::add);
            float[][] got = products(cache, a, a);
            assertArrayEquals(inMemory(a), got[0], "packed in memory");
            assertNoted("not saved to");
        }
    }

    /** Two random matrices, a cache, and their products on a first backend, which saved its copies. */
    private record FirstRun(MemorySegment a, MemorySegment b, PackedCopyCache cache, float[][] products) {}

    private FirstRun firstRun(Arena arena) throws IOException {
        MemorySegment a = PackBudgetTest.q8_0(arena, rnd);
        MemorySegment b = PackBudgetTest.q8_0(arena, rnd);
        PackedCopyCache cache = cache(model());
        float[][] products = products(cache, a, b);
        assertNoted("saved to");
        notes.clear();
        return new FirstRun(a, b, cache, products);
    }

    /** Products of matrices "a" and "b" on a backend keeping its copies in {@code cache}, then closed. */
    private float[][] products(PackedCopyCache cache, MemorySegment a, MemorySegment b) {
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.PACKED, cache)) {
            CpuWeight wa = (CpuWeight) backend.weight("a", GgmlType.Q8_0, COLS, ROWS, a);
            CpuWeight wb = (CpuWeight) backend.weight("b", GgmlType.Q8_0, COLS, ROWS, b);
            float[] pa = PackBudgetTest.product(backend, wa, x);
            assumeTrue(wa.packed() != null, "no packed kernels at this vector width (128 bits)");
            return new float[][] {pa, PackBudgetTest.product(backend, wb, x)};
        }
    }

    /** The product from a copy packed in memory, without any file. */
    private float[] inMemory(MemorySegment w) {
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.PACKED)) {
            return PackBudgetTest.product(backend, backend.weight("a", GgmlType.Q8_0, COLS, ROWS, w), x);
        }
    }

    private PackedCopyCache cache(Path model) throws IOException {
        return PackedCopyCache.forModel(dir.resolve("cache"), model, notes::add);
    }

    private Path model() throws IOException {
        return Files.writeString(dir.resolve("model.gguf"), "stands for the model file");
    }

    private Path onlyFile() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
            List<Path> all = files.toList();
            assertEquals(1, all.size(), "one file per model: " + all);
            return all.get(0);
        }
    }

    private void assertNoted(String part) {
        assertTrue(notes.stream().anyMatch(n -> n.contains(part)), "a note with '" + part + "' in " + notes);
    }

    private float[] randomInput() {
        float[] v = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return v;
    }
}
