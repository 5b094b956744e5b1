package org.ristretto.core.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.ristretto.core.quant.GgmlType;

/**
 * Writes a GGUF version 3 file: metadata, tensor infos and the aligned data section.
 *
 * <p>Tensor data is pulled from a supplier only when its turn comes, so a converter can produce one tensor at a time
 * without holding the model in memory. The file is written to a temporary sibling and moved into place when complete,
 * so a failed write never leaves a truncated model behind.
 */
public final class GgufWriter {
    private static final long WRITE_SLICE = 1L << 28;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private int alignment = GgufParser.DEFAULT_ALIGNMENT;

    private record PendingTensor(String name, GgmlType type, long[] dims, long byteSize,
                                 Supplier<MemorySegment> data) {}

    /** Sets a metadata value (replacing an earlier one with that key, keeping its position). */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        if (key.equals("general.alignment")) {
            long a = value.asLong();
            if (a <= 0 || Long.bitCount(a) != 1 || a > (1 << 20)) {
                throw new IllegalArgumentException("general.alignment must be a power of two, not " + a);
            }
            alignment = (int) a;
        }
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.ofString(value));
    }

    public GgufWriter putUInt32(String key, int value) {
        return put(key, GgufValue.ofUInt32(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.ofFloat32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.ofBool(value));
    }

    public GgufWriter putArray(String key, GgufArray value) {
        return put(key, GgufValue.ofArray(value));
    }

    /** Copies every metadata entry of another file, in its order. */
    public GgufWriter putAll(GgufMetadata other) {
        other.asMap().forEach(this::put);
        return this;
    }

    /** Removes a metadata key if present. */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Adds a tensor whose bytes are already at hand. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment data) {
        return addTensor(name, type, dims, () -> data);
    }

    /**
     * Adds a tensor whose bytes are produced when the writer reaches it.
     *
     * @param dims ggml order: {@code dims[0]} is the row length
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, Supplier<MemorySegment> data) {
        if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1 to 4 dimensions");
        }
        long n = 1;
        for (long d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a non-positive dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + dims[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        for (PendingTensor t : tensors) {
            if (t.name.equals(name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
        }
        tensors.add(new PendingTensor(name, type, dims.clone(), type.byteSize(n), data));
        return this;
    }

    /** Writes the file. */
    public void write(Path out) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, out.getFileName().toString(), ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        HeaderBuffer h = new HeaderBuffer();
        h.u32(GgufParser.MAGIC);
        h.u32(3);
        h.u64(tensors.size());
        h.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            h.string(e.getKey());
            h.u32(e.getValue().type().id());
            h.value(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            h.string(t.name);
            h.u32(t.dims.length);
            for (long d : t.dims) {
                h.u64(d);
            }
            h.u32(t.type.id());
            h.u64(offset);
            offset = GgufParser.alignUp(offset + t.byteSize, alignment);
        }
        long headerEnd = h.size();
        h.pad(GgufParser.alignUp(headerEnd, alignment) - headerEnd);
        h.flushTo(ch);

        long written = 0;
        for (PendingTensor t : tensors) {
            MemorySegment data = t.data.get();
            if (data.byteSize() != t.byteSize) {
                throw new IllegalArgumentException("tensor '" + t.name + "' should have " + t.byteSize
                        + " bytes of " + t.type + " data but " + data.byteSize() + " were given");
            }
            // A ByteBuffer holds at most 2 GB, so large tensors go out in slices.
            for (long at = 0; at < t.byteSize; at += WRITE_SLICE) {
                ByteBuffer bb = data.asSlice(at, Math.min(WRITE_SLICE, t.byteSize - at)).asByteBuffer();
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            }
            written += t.byteSize;
            long padded = GgufParser.alignUp(written, alignment);
            if (padded > written) {
                ByteBuffer zeros = ByteBuffer.allocate((int) (padded - written));
                while (zeros.hasRemaining()) {
                    ch.write(zeros);
                }
                written = padded;
            }
        }
    }

    /** A growable little-endian buffer for the header. */
    private static final class HeaderBuffer {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(long n) {
            if (buf.remaining() < n) {
                long cap = Math.max((long) buf.capacity() * 2, buf.position() + n + 1024);
                ByteBuffer bigger = ByteBuffer.allocate(Math.toIntExact(cap)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        long size() {
            return buf.position();
        }

        void u8(byte v) {
            ensure(1);
            buf.put(v);
        }

        void u16(short v) {
            ensure(2);
            buf.putShort(v);
        }

        void u32(int v) {
            ensure(4);
            buf.putInt(v);
        }

        void u64(long v) {
            ensure(8);
            buf.putLong(v);
        }

        void pad(long n) {
            ensure(n);
            for (long i = 0; i < n; i++) {
                buf.put((byte) 0);
            }
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            ensure(b.length);
            buf.put(b);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8((Byte) v);
                case UINT16, INT16 -> u16((Short) v);
                case UINT32, INT32 -> u32((Integer) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> u8((byte) ((Boolean) v ? 1 : 0));
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        void array(GgufArray a) {
            u32(a.elementType().id());
            int n = a.length();
            u64(n);
            Object vs = a.values();
            switch (a.elementType()) {
                case UINT8, INT8, BOOL -> {
                    ensure(n);
                    buf.put((byte[]) vs);
                }
                case UINT16, INT16 -> {
                    for (short s : (short[]) vs) {
                        u16(s);
                    }
                }
                case UINT32, INT32 -> {
                    for (int i : (int[]) vs) {
                        u32(i);
                    }
                }
                case UINT64, INT64 -> {
                    for (long l : (long[]) vs) {
                        u64(l);
                    }
                }
                case FLOAT32 -> {
                    for (float f : (float[]) vs) {
                        u32(Float.floatToRawIntBits(f));
                    }
                }
                case FLOAT64 -> {
                    for (double d : (double[]) vs) {
                        u64(Double.doubleToRawLongBits(d));
                    }
                }
                case STRING -> {
                    for (String s : (String[]) vs) {
                        string(s);
                    }
                }
                case ARRAY -> {
                    for (GgufArray inner : (GgufArray[]) vs) {
                        array(inner);
                    }
                }
            }
        }

        void flushTo(FileChannel ch) throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }
}
