package org.ristretto.core.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ristretto.core.quant.GgmlType;

/** Builds small GGUF files for the reader's tests. */
final class GgufTestFiles {
    private GgufTestFiles() {}

    /** A writer holding one value of every metadata type, nested arrays, and one tensor of every ggml type. */
    static GgufWriter everyType() {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "test");
        w.put("u8", new GgufValue(GgufValueType.UINT8, (byte) 0xF0));
        w.put("i8", new GgufValue(GgufValueType.INT8, (byte) -5));
        w.put("u16", new GgufValue(GgufValueType.UINT16, (short) 0xFFFE));
        w.put("i16", new GgufValue(GgufValueType.INT16, (short) -300));
        w.put("u32", new GgufValue(GgufValueType.UINT32, 0xFFFFFFF0));
        w.put("i32", new GgufValue(GgufValueType.INT32, -70000));
        w.put("u64", new GgufValue(GgufValueType.UINT64, -2L));
        w.put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE + 7));
        w.put("f32", new GgufValue(GgufValueType.FLOAT32, 3.25f));
        w.put("f64", new GgufValue(GgufValueType.FLOAT64, -1e300));
        w.put("bool", new GgufValue(GgufValueType.BOOL, true));
        w.put("string", GgufValue.ofString("héllo ✓ 🦙"));
        w.put("empty.string", GgufValue.ofString(""));
        w.putArray("arr.u8", new GgufArray(GgufValueType.UINT8, new byte[] {1, (byte) 255}));
        w.putArray("arr.i8", new GgufArray(GgufValueType.INT8, new byte[] {-1, 2}));
        w.putArray("arr.bool", new GgufArray(GgufValueType.BOOL, new byte[] {1, 0, 1}));
        w.putArray("arr.u16", new GgufArray(GgufValueType.UINT16, new short[] {(short) 65535}));
        w.putArray("arr.i16", new GgufArray(GgufValueType.INT16, new short[] {-2, 3}));
        w.putArray("arr.u32", new GgufArray(GgufValueType.UINT32, new int[] {-1}));
        w.putArray("arr.i32", GgufArray.ofInts(1, -2, 3));
        w.putArray("arr.u64", new GgufArray(GgufValueType.UINT64, new long[] {-1L, 5}));
        w.putArray("arr.i64", new GgufArray(GgufValueType.INT64, new long[] {Long.MIN_VALUE}));
        w.putArray("arr.f32", GgufArray.ofFloats(0.5f, Float.NaN, -0f));
        w.putArray("arr.f64", new GgufArray(GgufValueType.FLOAT64, new double[] {Math.PI}));
        w.putArray("arr.string", GgufArray.ofStrings("a", "", "ü"));
        w.putArray("arr.empty", GgufArray.ofInts());
        w.putArray("arr.nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
            GgufArray.ofStrings("x", "y"), GgufArray.ofInts(7),
            new GgufArray(GgufValueType.ARRAY, new GgufArray[] {GgufArray.ofFloats(1f)})}));
        int seed = 1;
        for (GgmlType t : GgmlType.values()) {
            long[] dims = {t.blockSize() * 2L, 3};
            w.addTensor("t." + t.name(), t, dims, patterned(t.byteSize(dims[0] * dims[1]), seed++));
        }
        return w;
    }

    /** A heap segment of deterministic bytes. */
    static MemorySegment patterned(long size, int seed) {
        byte[] b = new byte[(int) size];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >>> 5));
        }
        return MemorySegment.ofArray(b);
    }

    static byte[] bytesOf(GgufWriter w, Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        w.write(p);
        return Files.readAllBytes(p);
    }

    /** Parses bytes through the same path as a file, via a heap segment. */
    static GgufFile parse(byte[] content) {
        return GgufFile.parse(MemorySegment.ofArray(content));
    }

    static MemorySegment toSegment(Arena arena, byte[] b) {
        MemorySegment s = arena.allocate(b.length);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }
}
