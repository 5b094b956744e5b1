package org.ristretto.cpu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.cpu.kernel.MatMul;
import org.ristretto.cpu.kernel.PackedMatrix;

/**
 * The packed copies of one model's weight matrices kept in a file between runs ({@link PackedCopyCache}): read at the
 * start, mapped read-only, and written again at close when this run packed matrices the file did not have.
 *
 * <p>A copy is used only where everything it depends on matches: the file's key (the model file's path, size and
 * modification time, and {@link MatMul#packedLayoutKey()}: the vector width and the packing code), and per matrix its
 * name, type, shape, size, and a checksum of the first and last 4 KB of its blocks in the model file. Anything else
 * (a file another build wrote, a truncated or corrupt one) is noted and packed again, and the file is
 * rewritten at close.
 *
 * <p>Layout, little-endian: the magic {@code RPACKED2} and the header's offset (a long) in the first page; the copies
 * from byte 4096 on, each at a multiple of 64 bytes; then the header: the key (an int length, then UTF-8), the entry
 * count, and per entry its name and type name (each an int length, then UTF-8), rows and columns (ints), the
 * checksum, offset and length of its copy (longs). A run packs its new copies straight into the pages of a new file
 * ({@link CopyFileMemory}), adds the header at close and renames it over the old one, so that a reader never sees
 * half of one and the copies are not copied again.
 */
final class PackedCopyFile implements AutoCloseable {
    private static final byte[] MAGIC = "RPACKED2".getBytes(StandardCharsets.US_ASCII);
    private static final long ALIGN = 4096;
    /** Bytes at each end of a matrix's blocks that its checksum covers. */
    private static final long CHECKED_BYTES = 4096;
    /** Copies start at multiples of 64 bytes, as the packed kernels' memory does. */
    private static final long COPY_ALIGN = 64;
    /** Longest name or key read back: far above any tensor name, far below what a corrupt length could ask for. */
    private static final int MAX_STRING = 1 << 16;
    private static final long WRITE_SLICE = 64L << 20;

    private final PackedCopyCache cache;
    private final Path file;
    private final String key;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Entry> stored;
    /** Every copy this run uses, from the file or packed here, by name: what a rewrite writes. */
    private final Map<String, Entry> inUse = new LinkedHashMap<>();
    /** Whether this run packed a copy the file did not have. */
    private boolean packedHere;
    /** The new file this run packs into; made on disk at its first allocation or at close. */
    private final CopyFileMemory newFile;

    /** A copy: the matrix it belongs to and its bytes. */
    private record Entry(String type, int rows, int cols, long checksum, MemorySegment copy) {}

    private PackedCopyFile(PackedCopyCache cache, Path file, String key, SegmentAllocator fallback) {
        this.cache = cache;
        this.file = file;
        this.key = key;
        this.stored = read();
        this.newFile = new CopyFileMemory(file.getParent(), file.getFileName() + ".", fallback, cache.notes());
    }

    /**
     * The copies kept for {@code cache}'s model under {@code layoutKey}; none yet where there is no usable file. New
     * copies go into the file that replaces it at close, or into {@code fallback} where that file cannot take them.
     */
    static PackedCopyFile open(PackedCopyCache cache, String layoutKey, SegmentAllocator fallback) {
        String name = cache.model().getFileName() + "-" + digest(cache.model().toString()) + ".packed";
        return new PackedCopyFile(cache, cache.directory().toAbsolutePath().normalize().resolve(name),
                cache.model() + "\n" + cache.modelVersion() + "\n" + layoutKey, fallback);
    }

    /**
     * The memory to pack this run's new copies into: pages of the file that replaces this one at close, or the
     * fallback's where that file cannot be made.
     */
    SegmentAllocator memory() {
        return newFile;
    }

    /** The kept copy of {@code w}, as a packed matrix of {@code matMul}'s; null where the file has none that fits. */
    PackedMatrix find(CpuWeight w, MatMul matMul) {
        Entry e = stored.get(w.name());
        long size = matMul.packedBytes(w.type(), w.rows(), w.columns());
        if (e == null || !e.type.equals(w.type().name()) || e.rows != w.rows() || e.cols != w.columns()
                || e.copy.byteSize() != size || e.checksum != checksum(w.data())) {
            return null;
        }
        inUse.put(w.name(), e);
        return matMul.packedFrom(w.type(), w.data(), 0, w.rows(), w.columns(), e.copy);
    }

    /** Notes a copy this run packed, to be kept when this closes. */
    void packed(CpuWeight w, PackedMatrix p) {
        inUse.put(w.name(), new Entry(w.type().name(), w.rows(), w.columns(), checksum(w.data()), p.packedCopy()));
        packedHere = true;
    }

    /**
     * Writes the file again where this run packed copies it did not have (its copies must still be valid), then
     * unmaps the file read at the start.
     */
    @Override
    public void close() {
        try {
            if (packedHere) {
                write();
            } else {
                newFile.close();
            }
        } finally {
            arena.close();
        }
    }

    private Map<String, Entry> read() {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = CopyFileMemory.nativeView(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena),
                    arena).asReadOnly();
            Reader r = new Reader(m);
            if (!Arrays.equals(r.bytes(MAGIC.length), MAGIC)) {
                throw new IllegalArgumentException("it does not start with " + new String(MAGIC,
                        StandardCharsets.US_ASCII));
            }
            long headerAt = r.longValue();
            if (headerAt < CopyFileMemory.FIRST_OFFSET || headerAt > m.byteSize()) {
                throw new IllegalArgumentException("its header offset " + headerAt + " is not inside its "
                        + m.byteSize() + " bytes");
            }
            r.position = headerAt;
            if (!key.equals(r.string())) {
                cache.notes().accept("packed copies: " + file + " is for another version of the model or of "
                        + "Ristretto; packing again");
                return Map.of();
            }
            int count = r.count(m.byteSize());
            Map<String, Entry> entries = new HashMap<>();
            for (int i = 0; i < count; i++) {
                String name = r.string();
                String type = r.string();
                int rows = r.positiveInt("rows");
                int cols = r.positiveInt("columns");
                long checksum = r.longValue();
                long offset = r.longValue();
                long length = r.longValue();
                if (offset % COPY_ALIGN != 0 || offset < CopyFileMemory.FIRST_OFFSET || length <= 0
                        || offset > headerAt - length) {
                    throw new IllegalArgumentException("entry " + i + " (" + name + ") claims bytes " + offset
                            + " to " + offset + " + " + length + " of the " + headerAt + " before the header");
                }
                entries.put(name, new Entry(type, rows, cols, checksum, m.asSlice(offset, length)));
            }
            cache.notes().accept("packed copies: " + count + " matrices mapped from " + file);
            return entries;
        } catch (IOException | RuntimeException e) {
            cache.notes().accept("packed copies: " + file + " is unreadable (" + e.getMessage()
                    + "); packing again");
            return Map.of();
        }
    }

    /**
     * Finishes the new file: copies this run did not pack into it (those mapped from the old file, or packed in memory
     * where the file could not take them) are appended, then the header and the first page are written, and the
     * file is renamed over the old one.
     */
    private void write() {
        long start = System.nanoTime();
        boolean saved = false;
        try {
            newFile.create();
            FileChannel ch = newFile.channel();
            long end = align(newFile.dataEnd());
            Map<String, Long> offsets = new LinkedHashMap<>();
            long total = 0;
            for (Map.Entry<String, Entry> e : inUse.entrySet()) {
                MemorySegment copy = e.getValue().copy;
                long offset = newFile.offsetOf(copy);
                if (offset < 0) {
                    for (long at = 0; at < copy.byteSize(); at += WRITE_SLICE) {
                        long n = Math.min(WRITE_SLICE, copy.byteSize() - at);
                        writeFully(ch, copy.asSlice(at, n).asByteBuffer(), end + at);
                    }
                    offset = end;
                    end = align(end + copy.byteSize());
                }
                offsets.put(e.getKey(), offset);
                total += copy.byteSize();
            }
            ByteBuffer header = header(offsets);
            writeFully(ch, header, end);
            ch.truncate(end + header.capacity());
            writeFully(ch, ByteBuffer.allocate(MAGIC.length + 8).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC)
                    .putLong(end).flip(), 0);
            Path written = newFile.path();
            newFile.close(false);
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            saved = true;
            cache.notes().accept("packed copies: " + inUse.size() + " matrices (" + total / (1 << 20)
                    + " MiB) saved to " + file + " for the next run, in "
                    + String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
        } catch (IOException | RuntimeException e) {
            cache.notes().accept("packed copies: not saved to " + file + " (" + describe(e) + ")");
        } finally {
            if (!saved) {
                newFile.close(true);
            }
        }
    }

    /** The header: the key, the entry count and the entries, with their copies at {@code offsets}. */
    private ByteBuffer header(Map<String, Long> offsets) {
        byte[] keyBytes = utf8(key);
        int size = 4 + keyBytes.length + 4;
        for (Map.Entry<String, Entry> e : inUse.entrySet()) {
            size += 4 + utf8(e.getKey()).length + 4 + utf8(e.getValue().type).length + 8 + 3 * 8;
        }
        ByteBuffer header = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(keyBytes.length).put(keyBytes).putInt(inUse.size());
        for (Map.Entry<String, Entry> e : inUse.entrySet()) {
            Entry v = e.getValue();
            byte[] name = utf8(e.getKey());
            byte[] type = utf8(v.type);
            header.putInt(name.length).put(name).putInt(type.length).put(type).putInt(v.rows).putInt(v.cols)
                    .putLong(v.checksum).putLong(offsets.get(e.getKey())).putLong(v.copy.byteSize());
        }
        return header.flip();
    }

    /** An I/O failure in words: the JDK's file exceptions carry only a path as their message. */
    private static String describe(Exception e) {
        return switch (e) {
            case java.nio.file.FileAlreadyExistsException f -> f.getFile() + " exists and is not a folder";
            case java.nio.file.AccessDeniedException f -> "permission denied: " + f.getFile();
            case java.nio.file.NoSuchFileException f -> "no such file or folder: " + f.getFile();
            default -> e.getMessage() != null ? e.getMessage() : e.toString();
        };
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            position += ch.write(b, position);
        }
    }

    private static long align(long offset) {
        return (offset + ALIGN - 1) & -ALIGN;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** CRC-32C of a matrix's size and of its first and last 4 KB: a changed model file shows there. */
    static long checksum(MemorySegment blocks) {
        CRC32C crc = new CRC32C();
        long n = Math.min(CHECKED_BYTES, blocks.byteSize());
        crc.update(ByteBuffer.allocate(8).putLong(0, blocks.byteSize()));
        crc.update(blocks.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
        crc.update(blocks.asSlice(blocks.byteSize() - n, n).toArray(ValueLayout.JAVA_BYTE));
        return crc.getValue();
    }

    private static String digest(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(utf8(s));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Reads the header with every length checked against the file, so a corrupt one fails with a message. */
    private static final class Reader {
        private final MemorySegment m;
        private long position;

        Reader(MemorySegment m) {
            this.m = m;
        }

        byte[] bytes(int n) {
            if (n > m.byteSize() - position) {
                throw new IllegalArgumentException("it ends at byte " + m.byteSize() + ", inside its header");
            }
            byte[] b = m.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE);
            position += n;
            return b;
        }

        int intValue() {
            return ByteBuffer.wrap(bytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        long longValue() {
            return ByteBuffer.wrap(bytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        int positiveInt(String what) {
            int v = intValue();
            if (v <= 0) {
                throw new IllegalArgumentException(what + " " + v + " at byte " + (position - 4));
            }
            return v;
        }

        /** An entry count no larger than the file could hold (each entry takes at least 40 bytes). */
        int count(long fileSize) {
            int v = intValue();
            if (v < 0 || v > fileSize / 40) {
                throw new IllegalArgumentException("entry count " + v + " at byte " + (position - 4));
            }
            return v;
        }

        String string() {
            int n = intValue();
            if (n < 0 || n > MAX_STRING) {
                throw new IllegalArgumentException("string length " + n + " at byte " + (position - 4));
            }
            return new String(bytes(n), StandardCharsets.UTF_8);
        }
    }
}
