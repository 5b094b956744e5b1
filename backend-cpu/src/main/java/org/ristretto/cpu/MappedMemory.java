package org.ristretto.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Native memory from anonymous mappings, handed out in slices, for the packed copies of weight matrices and for the KV
 * cache; on Linux only (elsewhere, or where a mapping fails, a shared arena's allocations).
 *
 * <p>A fresh mapping reads as zeros without being written: the kernel supplies zeroed pages when they are first
 * touched. {@link Arena#allocate} instead zeroes all of it first, and on the virtual machines we measure on most of
 * that time is faulting 4 KB pages in: 128 MB (a 1B model's KV cache of 4096 positions) took 0.36 s from an arena,
 * before the first token, where a short prompt touches a few megabytes of it. With {@code hugePages} the mappings are
 * advised {@code MADV_HUGEPAGE}, for memory that is written in full right away: 0.71 GB of Q8_0 packed copies took
 * 2.8–4.2 s from an arena and 0.9 s from such mappings. Mappings are 64 MB or the size asked for, whichever is larger,
 * so the pages a slice leaves unused cost at most one partly used mapping's worth. Everything is unmapped when this
 * closes; one allocating thread at a time. Public for the benchmarks, which give packed copies the same memory.
 */
public final class MappedMemory implements SegmentAllocator, AutoCloseable {
    private static final long CHUNK = 64L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private final Arena arena = Arena.ofShared();
    private final Mapper mapper = Mapper.forThisPlatform();
    private final boolean hugePages;
    private MemorySegment chunk;
    private long used;

    /**
     * @param hugePages whether to advise the mappings for transparent huge pages: for memory written in full soon
     *     after (a first touch then faults 2 MB at once), not for memory touched sparsely
     */
    public MappedMemory(boolean hugePages) {
        this.hugePages = hugePages;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (mapper == null) {
            return arena.allocate(byteSize, byteAlignment);
        }
        long start = chunk == null ? 0 : (used + byteAlignment - 1) & -byteAlignment;
        if (chunk == null || start + byteSize > chunk.byteSize()) {
            long size = Math.max(CHUNK, (byteSize + HUGE_PAGE - 1) & -HUGE_PAGE);
            MemorySegment mapped = mapper.map(size, hugePages, arena);
            if (mapped == null) {
                return arena.allocate(byteSize, byteAlignment);
            }
            chunk = mapped;
            start = 0;
        }
        used = start + byteSize;
        return chunk.asSlice(start, byteSize);
    }

    /** Unmaps every mapping and frees the arena's allocations; the slices handed out become invalid. */
    @Override
    public void close() {
        chunk = null;
        arena.close();
    }

    /** libc's {@code mmap}, {@code madvise} and {@code munmap}, found on Linux only. */
    private record Mapper(MethodHandle mmap, MethodHandle madvise, MethodHandle munmap) {
        static Mapper forThisPlatform() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
                return null;
            }
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            var mmap = libc.find("mmap");
            var madvise = libc.find("madvise");
            var munmap = libc.find("munmap");
            if (mmap.isEmpty() || madvise.isEmpty() || munmap.isEmpty()) {
                return null;
            }
            return new Mapper(
                    linker.downcallHandle(mmap.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG)),
                    linker.downcallHandle(madvise.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)),
                    linker.downcallHandle(munmap.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)));
        }

        /**
         * A fresh zero-filled mapping of {@code size} bytes, unmapped when {@code arena} closes; null when the system
         * refuses it. The huge-page advice is only advice: a kernel without transparent huge pages ignores or refuses
         * it, and the mapping is used with 4 KB pages.
         */
        MemorySegment map(long size, boolean hugePages, Arena arena) {
            try {
                MemorySegment at = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS, -1, 0L);
                if (at.address() == -1L || at.address() == 0L) {
                    return null;
                }
                if (hugePages) {
                    int ignored = (int) madvise.invokeExact(at, size, MADV_HUGEPAGE);
                }
                return at.reinterpret(size, arena, mapping -> unmap(mapping, size));
            } catch (Throwable e) {
                throw new IllegalStateException("mapping " + size + " bytes of native memory failed", e);
            }
        }

        private void unmap(MemorySegment mapping, long size) {
            try {
                int ignored = (int) munmap.invokeExact(mapping, size);
            } catch (Throwable e) {
                throw new IllegalStateException("unmapping " + size + " bytes of native memory failed", e);
            }
        }
    }
}
