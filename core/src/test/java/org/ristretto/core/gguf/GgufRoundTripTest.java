package org.ristretto.core.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyValueTypeAndTensorTypeSurvivesWriteThenRead() throws IOException {
        GgufWriter w = GgufTestFiles.everyType();
        Path p = dir.resolve("all.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            GgufMetadata m = f.metadata();
            assertEquals(0xF0, m.getLong("u8"));
            assertEquals(-5, m.getLong("i8"));
            assertEquals(0xFFFE, m.getLong("u16"));
            assertEquals(-300, m.getInt("i16"));
            assertEquals(0xFFFFFFF0L, m.getLong("u32"));
            assertEquals(-70000, m.getInt("i32"));
            assertEquals(-2L, m.getLong("u64"));
            assertEquals(Long.MIN_VALUE + 7, m.getLong("i64"));
            assertEquals(3.25f, m.getFloat("f32"));
            assertEquals(-1e300, m.getDouble("f64"));
            assertTrue(m.getBool("bool"));
            assertEquals("héllo ✓ 🦙", m.getString("string"));
            assertEquals("", m.getString("empty.string"));
            assertEquals(255, m.getArray("arr.u8").getLong(1));
            assertEquals(-1, m.getArray("arr.i8").getLong(0));
            assertEquals(65535, m.getArray("arr.u16").getLong(0));
            assertEquals(0xFFFFFFFFL, m.getArray("arr.u32").getLong(0));
            assertArrayEquals(new String[] {"a", "", "ü"}, m.getStringArray("arr.string"));
            assertEquals(0, m.getArray("arr.empty").length());
            GgufArray nested = m.getArray("arr.nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(3, nested.length());
            // Every value, arrays included, equals what was written.
            GgufWriter expected = GgufTestFiles.everyType();
            assertEquals(expectedMetadata(expected, dir), m.asMap());

            assertEquals(GgmlType.values().length, f.tensors().size());
            int seed = 1;
            for (GgmlType t : GgmlType.values()) {
                GgufTensorInfo info = f.tensor("t." + t.name());
                assertEquals(t, info.type());
                assertArrayEquals(new long[] {t.blockSize() * 2L, 3}, info.dims());
                assertEquals(0, (f.dataOffset() + info.offset()) % f.alignment(), "aligned data for " + t);
                MemorySegment want = GgufTestFiles.patterned(info.byteSize(), seed++);
                assertEquals(-1, f.tensorData(info).mismatch(want), "data of " + t);
            }
        }
    }

    private static java.util.Map<String, GgufValue> expectedMetadata(GgufWriter w, Path dir) throws IOException {
        Path p = Files.createTempFile(dir, "exp", ".gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            return f.metadata().asMap();
        }
    }

    @Test
    void writingIsDeterministicAndRereadingGivesTheSameBytes() throws IOException {
        byte[] a = GgufTestFiles.bytesOf(GgufTestFiles.everyType(), dir, "a.gguf");
        byte[] b = GgufTestFiles.bytesOf(GgufTestFiles.everyType(), dir, "b.gguf");
        assertArrayEquals(a, b);
        // Copy a file through the writer: metadata and tensors in, identical bytes out.
        Path src = dir.resolve("a.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter copy = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) {
                copy.addTensor(t.name(), t.type(), t.dims(), f.tensorData(t));
            }
            assertArrayEquals(a, GgufTestFiles.bytesOf(copy, dir, "copy.gguf"));
        }
    }

    @Test
    void customAlignmentIsHonoured() throws IOException {
        GgufWriter w = new GgufWriter().putUInt32("general.alignment", 64);
        w.addTensor("a", GgmlType.F32, new long[] {3}, GgufTestFiles.patterned(12, 1));
        w.addTensor("b", GgmlType.F32, new long[] {5}, GgufTestFiles.patterned(20, 2));
        Path p = dir.resolve("al.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(64, f.tensor("b").offset());
        }
    }

    @Test
    void writerRejectsDataOfTheWrongSizeAndLeavesNoFile() {
        GgufWriter w = new GgufWriter();
        w.addTensor("x", GgmlType.Q8_0, new long[] {32}, MemorySegment.ofArray(new byte[33]));
        Path p = dir.resolve("bad.gguf");
        assertThrows(IllegalArgumentException.class, () -> w.write(p));
        assertTrue(Files.notExists(p));
    }

    @Test
    void readsEveryGgufInTheSharedModels() throws IOException {
        Path root = SharedModels.require("SOURCES.md").getParent();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(x -> x.toString().endsWith(".gguf")).sorted().toList();
        }
        assertTrue(files.size() >= 15, "expected the shared GGUFs, found " + files);
        for (Path p : files) {
            try (GgufFile f = GgufFile.open(p)) {
                assertTrue(f.version() == 2 || f.version() == 3, p.toString());
                for (GgufTensorInfo t : f.tensors()) {
                    assertEquals(t.byteSize(), f.tensorData(t).byteSize());
                }
            }
        }
    }

    @Test
    void storiesModelHasTheExpectedLayout() throws IOException {
        try (GgufFile f = GgufFile.open(SharedModels.require("gguf/stories260K-f32.gguf"))) {
            assertEquals("llama", f.architecture());
            assertEquals(64, f.metadata().getInt("llama.embedding_length"));
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 512}, emb.dims());
            assertEquals(GgmlType.F32, emb.type());
        }
    }

    @Test
    void closingReleasesTheMapping() throws IOException {
        Path p = dir.resolve("c.gguf");
        GgufTestFiles.everyType().write(p);
        GgufFile f = GgufFile.open(p);
        MemorySegment data = f.tensorData("t.F32");
        f.close();
        assertThrows(IllegalStateException.class, () -> data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void filesLargerThanTwoGigabytesAreMappedWhole() throws IOException {
        // A 3 GB F32 tensor in a sparse file: the header is patched from a one-element file, the data is holes.
        GgufWriter w = new GgufWriter();
        w.addTensor("big", GgmlType.F32, new long[] {1}, GgufTestFiles.patterned(4, 1));
        Path p = dir.resolve("big.gguf");
        w.write(p);
        long elements = 3L * 1024 * 1024 * 1024 / 4;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer dim = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            dim.putLong(elements).flip();
            ch.write(dim, 24 + 8 + 3 + 4); // count fields, name length, "big", rank
            long dataOffset = ch.size() - 32;
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}), dataOffset + elements * 4 - 1);
        }
        try (GgufFile f = GgufFile.open(p)) {
            MemorySegment data = f.tensorData("big");
            assertEquals(elements * 4, data.byteSize());
            assertEquals(42, data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, data.byteSize() - 1));
            assertTrue(f.fileSize() > (1L << 31));
        }
    }
}
