package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.kernel.MatMul;
import org.ristretto.cpu.parallel.WorkerPool;

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

            float[][] again = products(run.cache, run.a, run.b, run.c);
            assertNoted("3 matrices mapped from " + file);
            assertTrue(notes.stream().noneMatch(n -> n.contains("saved")), "nothing new to save: " + notes);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(run.products[i], again[i], "matrix " + i + " from the file");
            }
            assertEquals(written, Files.getLastModifiedTime(file).toMillis(), "the file is left as it was");
        }
    }

    /** Matrix m0 now holds what m2 held: its product is m2's, packed from its blocks, not m0's kept copy. */
    @Test
    void aChangedMatrixIsPackedAgain() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            float[][] got = products(run.cache, run.c, run.b);
            assertArrayEquals(run.products[2], got[0], "the changed matrix is packed from its own blocks");
            assertArrayEquals(run.products[1], got[1], "the unchanged one");
            assertNoted("saved to");
            // The rewritten file holds the new copy (packed into it) and the old one (copied from the old file).
            notes.clear();
            float[][] again = products(run.cache, run.c, run.b);
            assertNoted("2 matrices mapped from");
            assertArrayEquals(run.products[2], again[0], "the new copy, from the rewritten file");
            assertArrayEquals(run.products[1], again[1], "the old copy, from the rewritten file");
        }
    }

    @Test
    void anotherVersionOfTheModelIsNotUsed() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            PackedCopyCache rewritten = new PackedCopyCache(run.cache.directory(), run.cache.model(),
                    "another size and time", notes::add);
            float[][] got = products(rewritten, run.c, run.b);
            assertNoted("another version");
            assertArrayEquals(run.products[2], got[0], "packed from the new file's blocks");
            assertNoted("saved to");
        }
    }

    /** Cut files and a huge length field are noted without reading past the file; the next run rewrites it. */
    @Test
    void aCorruptFileIsNotedPackedAgainAndReplaced() throws IOException {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            FirstRun run = firstRun(arena);
            String layout = new MatMul(pool).packedLayoutKey();
            Path file = onlyFile();
            byte[] bytes = Files.readAllBytes(file);
            Map<String, byte[]> broken = new LinkedHashMap<>();
            int header = headerOffset(bytes);
            for (int cut : new int[] {0, 5, header + 6, firstOffsetField(bytes)}) {
                broken.put("it ends at byte " + cut + ", inside its header", Arrays.copyOf(bytes, cut));
            }
            broken.put("its header offset " + header + " is not inside its 5000 bytes", Arrays.copyOf(bytes, 5000));
            byte[] huge = bytes.clone();
            ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(header, Integer.MAX_VALUE);
            broken.put("string length 2147483647 at byte " + header, huge);
            byte[] pastTheEnd = bytes.clone();
            ByteBuffer.wrap(pastTheEnd).order(ByteOrder.LITTLE_ENDIAN).putLong(firstOffsetField(bytes), 4096L << 40);
            broken.put("entry 0 (m0) claims bytes 4503599627370496 to", pastTheEnd);
            broken.put("it does not start with RPACKED2", "not a packed file".getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> b : broken.entrySet()) {
                Files.write(file, b.getValue());
                notes.clear();
                PackedCopyFile.open(run.cache, layout, arena).close();
                assertNoted("unreadable (" + b.getKey());
            }
            float[][] got = products(run.cache, run.a, run.b, run.c);
            assertNoted("unreadable");
            assertArrayEquals(run.products[0], got[0], "packed again");
            assertNoted("saved to");
            notes.clear();
            products(run.cache, run.a, run.b, run.c);
            assertNoted("3 matrices mapped from");
        }
    }

    @Test
    void aFolderThatCannotBeWrittenIsNoted() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("plain-file"), "not a folder");
        try (Arena arena = Arena.ofShared()) {
            FirstRun run = firstRun(arena);
            PackedCopyCache cache = new PackedCopyCache(notAFolder.resolve("cache"), model(), "v1", notes::add);
            float[][] got = products(cache, run.a, run.b, run.c);
            assertArrayEquals(run.products[0], got[0], "packed in memory");
            assertNoted("not saved to");
            assertNoted("not saved to " + notAFolder);
        }
    }

    /** Three random matrices, a cache, and their products on a first backend, which saved its copies. */
    private record FirstRun(MemorySegment a, MemorySegment b, MemorySegment c, PackedCopyCache cache,
            float[][] products) {}

    private FirstRun firstRun(Arena arena) throws IOException {
        MemorySegment a = PackBudgetTest.q8_0(arena, rnd);
        MemorySegment b = PackBudgetTest.q8_0(arena, rnd);
        MemorySegment c = PackBudgetTest.q8_0(arena, rnd);
        PackedCopyCache cache = cache(model());
        float[][] products = products(cache, a, b, c);
        assertNoted("saved to");
        notes.clear();
        return new FirstRun(a, b, c, cache, products);
    }

    /**
     * Products of matrices named m0, m1, ... on a backend keeping its copies in {@code cache}, then closed. (Each
     * backend warms its kernels up: a few seconds each where earlier tests left the JIT with other vector shapes.)
     */
    private float[][] products(PackedCopyCache cache, MemorySegment... matrices) {
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 2, WeightPacking.PACKED, cache)) {
            float[][] out = new float[matrices.length][];
            for (int i = 0; i < matrices.length; i++) {
                CpuWeight w = (CpuWeight) backend.weight("m" + i, GgmlType.Q8_0, COLS, ROWS, matrices[i]);
                assumeTrue(PackBudgetTest.hasPackedKernels(), "no packed kernels at this vector width (128 bits)");
                out[i] = PackBudgetTest.productAfterPacking(backend, w, x);
                assertNotNull(w.packed(), "m" + i + " is packed at its second one-token product");
            }
            return out;
        }
    }

    /** Where the header starts: the long after the magic. */
    private static int headerOffset(byte[] file) {
        return Math.toIntExact(ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(8));
    }

    /** Where the first entry's offset field sits in the header: after the key, the count, two strings and 16 bytes. */
    private static int firstOffsetField(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int at = headerOffset(file);
        at += 4 + b.getInt(at);
        at += 4;
        at += 4 + b.getInt(at);
        at += 4 + b.getInt(at);
        return at + 4 + 4 + 8;
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
