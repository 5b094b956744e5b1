package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NativeSegments#of} passes every kind of native segment the kernels get (an arena's memory, a slice of it, a
 * file mapping and its native view) through unchanged and refuses a heap segment.
 */
class NativeSegmentsTest {
    @TempDir
    Path dir;

    @Test
    void nativeSegmentsPassAndHeapSegmentsDoNot() throws IOException {
        Path file = dir.resolve("weights.bin");
        Files.write(file, new byte[4096]);
        try (Arena arena = Arena.ofShared(); FileChannel channel = FileChannel.open(file)) {
            MemorySegment memory = arena.allocate(256);
            assertSame(memory, NativeSegments.of(memory));
            MemorySegment slice = memory.asSlice(16, 64);
            assertSame(slice, NativeSegments.of(slice));
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 4096, arena);
            assertSame(mapped, NativeSegments.of(mapped));
            MemorySegment view = mapped.reinterpret(mapped.byteSize());
            assertSame(view, NativeSegments.of(view));
        }
        assertThrows(ClassCastException.class, () -> NativeSegments.of(MemorySegment.ofArray(new byte[64])));
    }
}
