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
 * Memory for the packed copies of weight matrices: on Linux, anonymous mappings advised for transparent huge pages
 * and handed out in slices; elsewhere (or where a mapping fails), a shared arena's allocations.
 *
 * <p>Packing writes about a model's size of fresh memory before the second generated token, and on the virtual
 * machines we measure on that time went mostly to faulting 4 KB pages in (and to {@link Arena#allocate} zeroing
 * them first): 0.71 GB of Q8_0 copies took 2.8–4.2 s from an arena and 0.9 s from mappings advised with
 * {@code MADV_HUGEPAGE}. Mappings are 64 MB or the size asked for, whichever is larger, so the pages a slice leaves
 * unused cost at most one partly used mapping's worth. Everything is unmapped when this closes; one allocating
 * thread at a time.
 */
final class PackedMemory implements SegmentAllocator, AutoCloseable {
    private static final long CHUNK = 64L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private final Arena arena = Arena.ofShared();
    private final Mapper mapper = Mapper.forThisPlatform();
    private MemorySegment chunk;
    private long used;

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (mapper == null) {
            return arena.allocate(byteSize, byteAlignment);
        }
        long start = chunk == null ? 0 : (used + byteAlignment - 1) & -byteAlignment;
        if (chunk == null || start + byteSize > chunk.byteSize()) {
            long size = Math.max(CHUNK, (byteSize + HUGE_PAGE - 1) & -HUGE_PAGE);
            MemorySegment mapped = mapper.map(size, arena);
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
        MemorySegment map(long size, Arena arena) {
            try {
                MemorySegment at = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS, -1, 0L);
                if (at.address() == -1L || at.address() == 0L) {
                    return null;
                }
                int ignored = (int) madvise.invokeExact(at, size, MADV_HUGEPAGE);
                return at.reinterpret(size, arena, mapping -> unmap(mapping, size));
            } catch (Throwable e) {
                throw new IllegalStateException("mapping " + size + " bytes for packed weights failed", e);
            }
        }

        private void unmap(MemorySegment mapping, long size) {
            try {
                int ignored = (int) munmap.invokeExact(mapping, size);
            } catch (Throwable e) {
                throw new IllegalStateException("unmapping packed weights failed", e);
            }
        }
    }
}
