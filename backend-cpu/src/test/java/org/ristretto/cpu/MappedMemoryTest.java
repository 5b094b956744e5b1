package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MappedMemory} hands out aligned, disjoint, zeroed, writable slices and frees them all on close. */
class MappedMemoryTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void slicesAreAlignedDisjointZeroedAndWritable(boolean hugePages) {
        List<MemorySegment> all = new ArrayList<>();
        try (MappedMemory memory = new MappedMemory(hugePages)) {
            // Small ones that share a mapping, one larger than a mapping, and small ones after it.
            long[] sizes = {100, 4096, 1, 70L << 20, 33, 5000, 40L << 20, 40L << 20};
            for (long size : sizes) {
                MemorySegment s = memory.allocate(size, 64);
                assertEquals(size, s.byteSize());
                assertEquals(0, s.address() % 64, "aligned to 64");
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, size - 1));
                s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
                s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 2);
                all.add(s);
            }
            for (int i = 0; i < all.size(); i++) {
                for (int j = i + 1; j < all.size(); j++) {
                    MemorySegment a = all.get(i);
                    MemorySegment b = all.get(j);
                    assertFalse(a.address() < b.address() + b.byteSize() && b.address() < a.address() + a.byteSize(),
                            "slices " + i + " and " + j + " overlap");
                }
            }
            assertTrue(all.getFirst().scope().isAlive());
        }
        for (MemorySegment s : all) {
            assertFalse(s.scope().isAlive(), "freed on close");
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        }
    }
}
