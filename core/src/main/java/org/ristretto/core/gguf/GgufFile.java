package org.ristretto.core.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file (version 2 or 3): its metadata, its tensor table and zero-copy views of its tensor data.
 *
 * <p>The whole file is mapped read-only once through FFM; {@link #tensorData} returns slices of that mapping, so
 * opening a multi-gigabyte model costs milliseconds and no heap. The mapping lives in a shared {@link Arena} that
 * {@link #close()} releases: slices must not be used after that.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufParser.Header header;
    private final Map<String, GgufTensorInfo> byName;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
        Map<String, GgufTensorInfo> m = new LinkedHashMap<>();
        for (GgufTensorInfo t : header.tensors()) {
            m.put(t.name(), t);
        }
        this.byName = m;
    }

    /**
     * Maps and parses a GGUF file.
     *
     * @throws GgufFormatException if the content is not a valid GGUF file
     * @throws IOException         if the file cannot be opened or mapped, or the path is a directory
     */
    public static GgufFile open(Path path) throws IOException {
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            // Mapping a directory fails with the bare "No such device" of ENODEV.
            throw new IOException(path + " is " + (Files.isDirectory(path) ? "a directory" : "not a regular file")
                    + ", not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapping = size == 0
                    ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GgufParser.Header header = new GgufParser(path, mapping).parse();
            return new GgufFile(path, arena, mapping, header);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses GGUF content that is already in memory (used by tests and by tools that build files on the fly). The
     * segment must stay valid while the returned object is used; {@link #close()} does not free it.
     */
    public static GgufFile parse(MemorySegment content) {
        GgufParser.Header header = new GgufParser(null, content).parse();
        return new GgufFile(null, null, content, header);
    }

    /** The file this was read from, or null for in-memory content. */
    public Path path() {
        return path;
    }

    /** The GGUF format version, 2 or 3. */
    public int version() {
        return header.version();
    }

    /** The key/value metadata. */
    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** The tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    /** The tensor info with this name, if present. */
    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor info with this name, which must exist. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) {
            throw new GgufMetadataException(source() + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** The alignment of the data section and of each tensor's data. */
    public int alignment() {
        return header.alignment();
    }

    /** The absolute file offset of the data section. */
    public long dataOffset() {
        return header.dataOffset();
    }

    /** The size of the whole file in bytes. */
    public long fileSize() {
        return mapping.byteSize();
    }

    /** A read-only, zero-copy view of a tensor's bytes within the mapping. */
    public MemorySegment tensorData(GgufTensorInfo tensor) {
        return mapping.asSlice(header.dataOffset() + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /** A read-only, zero-copy view of the named tensor's bytes. */
    public MemorySegment tensorData(String name) {
        return tensorData(tensor(name));
    }

    /** The architecture from {@code general.architecture}, or "unknown". */
    public String architecture() {
        return metadata().findString("general.architecture").orElse("unknown");
    }

    private String source() {
        return path == null ? "<memory>" : path.toString();
    }

    /** Releases the mapping. Segments obtained from {@link #tensorData} become invalid. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
