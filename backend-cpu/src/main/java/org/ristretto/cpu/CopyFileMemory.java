package org.ristretto.cpu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Memory for the packed copies a run makes while it keeps them in a file ({@link PackedCopyFile}): chunks of a new
 * file in the cache folder, mapped read-write, so that the copies are packed straight into the file's pages and
 * nothing is copied again when the file is written at close. Until then the file has a temporary name.
 *
 * <p>A chunk is mapped only where the file system has room for it and a margin (writing to a mapped page of a full
 * disk would fault); where it has not, or the file cannot be made, allocations go to the fallback memory and the
 * note says so once. One allocating thread at a time.
 */
final class CopyFileMemory implements SegmentAllocator, AutoCloseable {
    /** Where the first chunk starts: the file's first page holds its magic and the offset of its header. */
    static final long FIRST_OFFSET = 4096;
    private static final long CHUNK = 64L << 20;
    private static final long FREE_MARGIN = 256L << 20;

    private final Path folder;
    private final String prefix;
    private final SegmentAllocator fallback;
    private final Consumer<String> notes;
    private final Arena arena = Arena.ofShared();
    private final List<Chunk> chunks = new ArrayList<>();
    private Path path;
    private FileChannel channel;
    private boolean failed;
    private MemorySegment chunk;
    private long used;

    /** A mapped chunk: its address in memory and its offset in the file. */
    private record Chunk(long address, long size, long fileOffset) {}

    CopyFileMemory(Path folder, String prefix, SegmentAllocator fallback, Consumer<String> notes) {
        this.folder = folder;
        this.prefix = prefix;
        this.fallback = fallback;
        this.notes = notes;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (!failed) {
            try {
                long start = chunk == null ? 0 : (used + byteAlignment - 1) & -byteAlignment;
                if (chunk == null || start + byteSize > chunk.byteSize()) {
                    mapChunk(byteSize);
                    start = 0;
                }
                used = start + byteSize;
                return chunk.asSlice(start, byteSize);
            } catch (IOException | RuntimeException e) {
                failed = true;
                notes.accept("packed copies: packing in memory, not in " + (path != null ? path : folder) + " ("
                        + e.getMessage() + ")");
            }
        }
        return fallback.allocate(byteSize, byteAlignment);
    }

    private void mapChunk(long byteSize) throws IOException {
        create();
        long size = Math.max(CHUNK, (byteSize + FIRST_OFFSET - 1) & -FIRST_OFFSET);
        long free = Files.getFileStore(path).getUsableSpace();
        if (free < size + FREE_MARGIN) {
            throw new IOException("only " + (free >> 20) + " MiB free there");
        }
        long offset = chunks.isEmpty() ? FIRST_OFFSET : end();
        chunk = nativeView(channel.map(FileChannel.MapMode.READ_WRITE, offset, size, arena), arena);
        chunks.add(new Chunk(chunk.address(), size, offset));
        used = 0;
    }

    /**
     * A file mapping's pages as a plain native segment, valid while {@code arena} is. The packed kernels are compiled
     * (warmed up) on native memory, and a file mapping's own segment class, met at the first product, sent the Q4_K
     * and Q6_K kernels back through deoptimization and C2 (a Q4_K_M 1B's 5-token prompt 5.3-6.6 s instead of ~1.1).
     */
    static MemorySegment nativeView(MemorySegment mapping, Arena arena) {
        return MemorySegment.ofAddress(mapping.address()).reinterpret(mapping.byteSize(), arena, null);
    }

    /** The file, or null where no copy was packed into one. */
    Path path() {
        return path;
    }

    /** The open file, or null where no copy was packed into one. */
    FileChannel channel() {
        return channel;
    }

    /** Where the packed data end in the file: the next byte after the last allocation. */
    long dataEnd() {
        return chunks.isEmpty() ? FIRST_OFFSET : chunks.getLast().fileOffset + used;
    }

    private long end() {
        Chunk last = chunks.getLast();
        return last.fileOffset + last.size;
    }

    /** The file offset of {@code copy}'s first byte where it lies in this file's chunks; -1 elsewhere. */
    long offsetOf(MemorySegment copy) {
        for (Chunk c : chunks) {
            long at = copy.address() - c.address;
            if (at >= 0 && at + copy.byteSize() <= c.size) {
                return c.fileOffset + at;
            }
        }
        return -1;
    }

    /** Makes the file where nothing was packed into it yet, for copies written by {@link FileChannel#write}. */
    void create() throws IOException {
        if (channel == null) {
            Files.createDirectories(folder);
            path = Files.createTempFile(folder, prefix, ".tmp");
            // A run stopped before close (Ctrl-C) leaves no model-sized temporary file behind; once renamed, there
            // is nothing under this name to delete.
            path.toFile().deleteOnExit();
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    /** Unmaps the chunks and closes the file; with {@code delete}, removes it too. */
    void close(boolean delete) {
        try {
            arena.close();
            if (channel != null) {
                channel.close();
            }
            if (delete && path != null) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            notes.accept("packed copies: could not remove " + path + " (" + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        close(true);
    }
}
