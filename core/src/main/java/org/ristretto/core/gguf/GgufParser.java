package org.ristretto.core.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.ristretto.core.quant.GgmlType;

/**
 * Parses the header of a GGUF file held in a memory segment. Every length and count is checked against the bytes that
 * remain before anything is allocated, so a corrupt file fails with a {@link GgufFormatException} rather than an
 * out-of-memory error or a read past the end.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_NESTING = 8;
    static final int DEFAULT_ALIGNMENT = 32;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian 64-bit lengths in a heap copy of a string array. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** What the header says: everything but the tensor bytes themselves. */
    record Header(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {}

    private final Path file;
    private final MemorySegment seg;
    private final long size;
    private long pos;

    GgufParser(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    Header parse() {
        need(4, "the magic 'GGUF'");
        int magic = seg.get(U32, 0);
        if (magic != MAGIC) {
            throw fail(0, "expected the magic 'GGUF' (47 47 55 46) but found "
                    + String.format("%08x", Integer.reverseBytes(magic)) + ": not a GGUF file");
        }
        pos = 4;
        long versionAt = pos;
        int version = readU32("the format version");
        if (version != 2 && version != 3) {
            if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
                throw fail(versionAt, "this is a big-endian GGUF file (version " + Integer.reverseBytes(version)
                        + " byte-swapped); only little-endian files are supported");
            }
            throw fail(versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + ", expected 2 or 3");
        }
        long countsAt = pos;
        long tensorCount = readU64("the tensor count");
        long kvCount = readU64("the metadata count");
        // Each tensor info takes at least 8 (name length) + 4 (rank) + 4 (type) + 8 (offset) bytes; each pair at
        // least 8 (key length) + 4 (type) + 1 (value).
        if (tensorCount < 0 || tensorCount > remaining() / 24) {
            throw fail(countsAt, "tensor count " + Long.toUnsignedString(tensorCount)
                    + " cannot fit in the " + remaining() + " bytes left in the file (truncated or corrupt header)");
        }
        if (kvCount < 0 || kvCount > remaining() / 13) {
            throw fail(countsAt + 8, "metadata count " + Long.toUnsignedString(kvCount)
                    + " cannot fit in the " + remaining() + " bytes left in the file (truncated or corrupt header)");
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            String key = readString("metadata key #" + i);
            long typeAt = pos;
            GgufValueType type = readValueType("the type of metadata '" + key + "'");
            GgufValue value = new GgufValue(type, readValue(type, key, 0));
            if (kv.putIfAbsent(key, value) != null) {
                throw fail(keyAt, "duplicate metadata key '" + key + "'");
            }
            if (key.equals("general.alignment")) {
                checkAlignment(typeAt, value);
            }
        }
        GgufMetadata metadata = new GgufMetadata(file == null ? "<memory>" : file.toString(), kv);
        int alignment = kv.containsKey("general.alignment")
                ? (int) kv.get("general.alignment").asLong() : DEFAULT_ALIGNMENT;

        List<GgufTensorInfo> tensors = new ArrayList<>((int) tensorCount);
        long[] infoAt = new long[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            infoAt[i] = pos;
            tensors.add(readTensorInfo(i, alignment));
        }
        long dataOffset = alignUp(pos, alignment);
        if (tensorCount > 0 && dataOffset > size) {
            throw fail(pos, "the data section should start at byte " + dataOffset + " but the file ends at " + size);
        }
        checkTensorBounds(tensors, infoAt, dataOffset);
        return new Header(version, metadata, List.copyOf(tensors), alignment, dataOffset);
    }

    private void checkAlignment(long at, GgufValue value) {
        if (!value.type().isInteger()) {
            throw fail(at, "general.alignment should be an integer but is " + value.type());
        }
        long a = value.asLong();
        if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
            throw fail(at, "general.alignment " + a + " is not a power of two between 1 and 2^20");
        }
    }

    private GgufTensorInfo readTensorInfo(int index, int alignment) {
        String name = readString("the name of tensor #" + index);
        long rankAt = pos;
        int rank = readU32("the rank of tensor '" + name + "'");
        if (rank < 1 || rank > MAX_DIMS) {
            throw fail(rankAt, "tensor '" + name + "' has " + Integer.toUnsignedString(rank)
                    + " dimensions; expected 1 to " + MAX_DIMS);
        }
        long[] dims = new long[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++) {
            long dimAt = pos;
            dims[d] = readU64("dimension " + d + " of tensor '" + name + "'");
            if (dims[d] <= 0 || (elements = multiplyOrNegative(elements, dims[d])) < 0) {
                throw fail(dimAt, "tensor '" + name + "' dimension " + d + " = " + Long.toUnsignedString(dims[d])
                        + " is not a positive size that fits in a 64-bit element count");
            }
        }
        long typeAt = pos;
        int typeId = readU32("the type of tensor '" + name + "'");
        GgmlType type = GgmlType.fromId(Integer.toUnsignedLong(typeId)).orElseThrow(() -> fail(typeAt,
                "tensor '" + name + "' has unknown ggml type id " + Integer.toUnsignedString(typeId)));
        if (dims[0] % type.blockSize() != 0) {
            throw fail(typeAt, "tensor '" + name + "' of type " + type + " has rows of " + dims[0]
                    + " elements, not a multiple of its block size " + type.blockSize());
        }
        long offAt = pos;
        long offset = readU64("the data offset of tensor '" + name + "'");
        if (offset < 0 || offset % alignment != 0) {
            throw fail(offAt, "tensor '" + name + "' data offset " + Long.toUnsignedString(offset)
                    + " is not a multiple of the alignment " + alignment);
        }
        return new GgufTensorInfo(name, dims, type, offset);
    }

    private void checkTensorBounds(List<GgufTensorInfo> tensors, long[] infoAt, long dataOffset) {
        long dataSize = size - dataOffset;
        Integer[] order = new Integer[tensors.size()];
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            GgufTensorInfo t = tensors.get(i);
            if (!names.add(t.name())) {
                throw fail(infoAt[i], "duplicate tensor name '" + t.name() + "'");
            }
            long bytes = byteSizeOrNegative(t);
            if (bytes < 0 || t.offset() > dataSize || bytes > dataSize - t.offset()) {
                throw fail(infoAt[i], "tensor '" + t.name() + "' needs bytes " + t.offset() + " to "
                        + (bytes < 0 ? "beyond 2^63" : Long.toString(t.offset() + bytes))
                        + " of the data section, but it holds only " + dataSize
                        + " bytes (truncated file or corrupt tensor info)");
            }
        }
        Arrays.sort(order, Comparator.comparingLong(i -> tensors.get(i).offset()));
        for (int k = 1; k < order.length; k++) {
            GgufTensorInfo prev = tensors.get(order[k - 1]);
            GgufTensorInfo cur = tensors.get(order[k]);
            if (prev.offset() + prev.byteSize() > cur.offset()) {
                throw fail(infoAt[order[k]], "tensor '" + cur.name() + "' at data offset " + cur.offset()
                        + " overlaps tensor '" + prev.name() + "' (" + prev.offset() + " + " + prev.byteSize() + ")");
            }
        }
    }

    private static long byteSizeOrNegative(GgufTensorInfo t) {
        long blocks = t.elementCount() / t.type().blockSize();
        return multiplyOrNegative(blocks, t.type().typeSize());
    }

    private static long multiplyOrNegative(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi != 0 || lo < 0) ? -1 : lo;
    }

    private Object readValue(GgufValueType type, String key, int depth) {
        String what = "the value of metadata '" + key + "'";
        return switch (type) {
            case UINT8, INT8 -> readByte(what);
            case UINT16, INT16 -> {
                need(2, what);
                short v = seg.get(U16, pos);
                pos += 2;
                yield v;
            }
            case UINT32, INT32 -> readU32(what);
            case UINT64, INT64 -> readU64(what);
            case FLOAT32 -> {
                need(4, what);
                float v = seg.get(F32, pos);
                pos += 4;
                yield v;
            }
            case FLOAT64 -> {
                need(8, what);
                double v = seg.get(F64, pos);
                pos += 8;
                yield v;
            }
            case BOOL -> {
                long at = pos;
                byte b = readByte(what);
                if (b != 0 && b != 1) {
                    throw fail(at, "metadata '" + key + "' is a BOOL but holds byte " + (b & 0xFF));
                }
                yield b == 1;
            }
            case STRING -> readString(what);
            case ARRAY -> readArray(key, depth);
        };
    }

    private GgufArray readArray(String key, int depth) {
        long at = pos;
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail(at, "metadata '" + key + "' nests arrays deeper than " + MAX_ARRAY_NESTING);
        }
        GgufValueType elem = readValueType("the element type of array '" + key + "'");
        long countAt = pos;
        long count = readU64("the length of array '" + key + "'");
        if (count < 0 || count > remaining() / elem.minEncodedSize() || count > Integer.MAX_VALUE - 8) {
            throw fail(countAt, "array '" + key + "' claims " + Long.toUnsignedString(count) + " elements of "
                    + elem + " but only " + remaining() + " bytes remain in the file");
        }
        int n = (int) count;
        Object values = switch (elem) {
            case UINT8, INT8, BOOL -> {
                byte[] a = new byte[n];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, a, 0, n);
                if (elem == GgufValueType.BOOL) {
                    for (int i = 0; i < n; i++) {
                        if (a[i] != 0 && a[i] != 1) {
                            throw fail(pos + i, "array '" + key + "' is BOOL but holds byte " + (a[i] & 0xFF));
                        }
                    }
                }
                pos += n;
                yield a;
            }
            case UINT16, INT16 -> {
                short[] a = new short[n];
                MemorySegment.copy(seg, U16, pos, a, 0, n);
                pos += 2L * n;
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                MemorySegment.copy(seg, U32, pos, a, 0, n);
                pos += 4L * n;
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                MemorySegment.copy(seg, U64, pos, a, 0, n);
                pos += 8L * n;
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                MemorySegment.copy(seg, F32, pos, a, 0, n);
                pos += 4L * n;
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                MemorySegment.copy(seg, F64, pos, a, 0, n);
                pos += 8L * n;
                yield a;
            }
            case STRING -> readStrings(n, key);
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readArray(key + "[" + i + "]", depth + 1);
                }
                yield a;
            }
        };
        return new GgufArray(elem, values);
    }

    /**
     * An array of {@code n} strings: their lengths are walked and checked first, then the whole extent is copied to
     * the heap once and each string decoded from that copy. A vocabulary has hundreds of thousands of strings, read
     * while the JVM is cold: string by string (a copy of each into its own array, then the string) the garbage filled
     * the young generation and forced a collection into fresh memory during loading.
     */
    private String[] readStrings(int n, String key) {
        long start = pos;
        long p = pos;
        IntFunction<String> element = i -> "element " + i + " of array '" + key + "'";
        for (int i = 0; i < n; i++) {
            p += 8 + stringLength(p, element, i);
        }
        String[] a = new String[n];
        if (p - start > Integer.MAX_VALUE - 8) {
            for (int i = 0; i < n; i++) { // over 2 GB of strings: one at a time, as a single copy cannot hold them
                int index = i;
                a[i] = readString(() -> element.apply(index));
            }
            return a;
        }
        byte[] bytes = new byte[(int) (p - start)];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, start, bytes, 0, bytes.length);
        int at = 0;
        for (int i = 0; i < n; i++) {
            int len = (int) (long) LONGS.get(bytes, at);
            // Bytes that are not valid UTF-8 (some vocabularies' byte tokens) become U+FFFD, as in readString.
            a[i] = new String(bytes, at + 8, len, StandardCharsets.UTF_8);
            at += 8 + len;
        }
        pos = p;
        return a;
    }

    private GgufValueType readValueType(String what) {
        long at = pos;
        int id = readU32(what);
        return GgufValueType.fromId(Integer.toUnsignedLong(id)).orElseThrow(
                () -> fail(at, what + ": unknown metadata value type id " + Integer.toUnsignedString(id)
                        + ", expected 0 to 12"));
    }

    private String readString(String what) {
        return readString(() -> what);
    }

    /**
     * A string; {@code what} describes it for the error message, built only on failure (a vocabulary has hundreds of
     * thousands of strings, and building their descriptions up front took longer than reading them).
     */
    private String readString(Supplier<String> what) {
        long at = pos;
        long len = stringLength(at, ignored -> what.get(), 0);
        pos += 8;
        if (len > Integer.MAX_VALUE - 8) {
            throw fail(at, "the length of " + what.get() + " is " + len + ", more than a string can hold");
        }
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, bytes, 0, bytes.length);
        pos += len;
        // Bytes that are not valid UTF-8 (some vocabularies' byte tokens) become U+FFFD, and the token stays readable.
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The length of the string at byte {@code at}, checked against the end of the file; {@code what.apply(index)}
     * describes the string for the error message, built only on failure.
     */
    private long stringLength(long at, IntFunction<String> what, int index) {
        if (size - at < 8) {
            pos = at;
            need(8, "the length of " + what.apply(index));
        }
        long len = seg.get(U64, at);
        if (len < 0 || len > size - at - 8) {
            throw fail(at, "the length of " + what.apply(index) + " is " + Long.toUnsignedString(len) + " but only "
                    + (size - at - 8) + " bytes remain in the file");
        }
        return len;
    }

    private byte readByte(String what) {
        need(1, what);
        return seg.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private int readU32(String what) {
        need(4, what);
        int v = seg.get(U32, pos);
        pos += 4;
        return v;
    }

    private long readU64(String what) {
        need(8, what);
        long v = seg.get(U64, pos);
        pos += 8;
        return v;
    }

    private void need(long n, String what) {
        if (remaining() < n) {
            throw fail(pos, "expected " + what + " (" + n + " bytes) but the file ends at byte " + size
                    + " (truncated)");
        }
    }

    private long remaining() {
        return size - pos;
    }

    private GgufFormatException fail(long at, String problem) {
        return new GgufFormatException(file, at, problem);
    }

    static long alignUp(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
