package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device enumeration, buffers, the program cache and the error messages of the device layer. */
class OpenClRuntimeTest {

    @Test
    void probeListsDevicesOrSaysWhyNot() {
        OpenClDevices devices = OpenClDevices.probe();
        if (!devices.available()) {
            String reason = devices.unavailableReason().orElseThrow();
            // The reason is said after "unavailable: " by its callers, so it must not repeat it.
            assertTrue(!reason.isBlank() && !reason.startsWith("unavailable"), reason);
            return;
        }
        assertTrue(devices.unavailableReason().isEmpty());
        for (OpenClDevice d : devices.devices()) {
            assertFalse(d.name().isBlank(), "device name");
            assertFalse(d.platformName().isBlank(), "platform name");
            assertTrue(d.globalMemoryBytes() > 0 && d.maxAllocationBytes() > 0 && d.computeUnits() > 0, d.describe());
            assertTrue(d.version().startsWith("OpenCL "), d.version());
            assertTrue(d.majorVersion() >= 1, d.version());
            assertTrue(d.describe().contains(d.name()));
        }
    }

    @Test
    void buffersRoundTripAndAreAccounted() {
        try (OpenClRuntime rt = OpenClTestSupport.openPreferredDevice()) {
            assertEquals(0, rt.allocatedBytes());
            float[] data = {1.5f, -2f, 3.25f, Float.MIN_VALUE, Float.NaN};
            DeviceBuffer b = rt.upload(data, "floats");
            assertEquals(20, rt.allocatedBytes());
            float[] back = b.readFloats();
            assertArrayEquals(data, back);
            float[] part = new float[2];
            b.read(1, part, 0, 2);
            assertArrayEquals(new float[] {-2f, 3.25f}, part);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(1000, 8);
                for (int i = 0; i < 250; i++) {
                    seg.setAtIndex(ValueLayout.JAVA_INT, i, i * 7);
                }
                try (DeviceBuffer raw = rt.upload(seg, "raw"); DeviceBuffer copy = rt.allocate(1000, "copy")) {
                    raw.copyTo(0, copy, 0, 1000);
                    int[] ints = new int[250];
                    copy.read(0, ints, 0, 250);
                    assertEquals(7 * 249, ints[249]);
                    copy.fillZero();
                    copy.read(0, ints, 0, 250);
                    assertEquals(0, ints[249]);
                }
                // Heap segments are staged through native memory.
                MemorySegment heap = MemorySegment.ofArray(new byte[] {1, 2, 3, 4});
                try (DeviceBuffer h = rt.upload(heap, "heap")) {
                    int[] one = new int[1];
                    h.read(0, one, 0, 1);
                    assertEquals(0x04030201, one[0]);
                }
            }
            b.close();
            b.close(); // closing twice is harmless
            assertEquals(0, rt.allocatedBytes());
            assertThrows(IllegalStateException.class, b::readFloats);
            assertThrows(IndexOutOfBoundsException.class, () -> {
                try (DeviceBuffer small = rt.allocate(8, "small")) {
                    small.read(1, new float[2], 0, 2);
                }
            });
        }
    }

    @Test
    void outOfMemorySaysNeededAndFree() {
        try (OpenClRuntime rt = OpenClTestSupport.openPreferredDevice()) {
            long tooMuch = rt.device().maxAllocationBytes() + 1;
            OpenClException e = assertThrows(OpenClException.class, () -> rt.allocate(tooMuch, "blk.0.ffn_up.weight"));
            assertTrue(e.getMessage().contains("blk.0.ffn_up.weight") && e.getMessage().contains("at most"),
                    e.getMessage());
            // Many buffers that each fit but together exceed global memory.
            long chunk = rt.device().maxAllocationBytes();
            List<DeviceBuffer> held = new java.util.ArrayList<>();
            OpenClException total = assertThrows(OpenClException.class, () -> {
                for (int i = 0; i < 64; i++) {
                    held.add(rt.allocate(chunk, "layer " + i));
                }
            });
            assertTrue(total.getMessage().contains("out of OpenCL device memory")
                    && total.getMessage().contains("needs") && total.getMessage().contains("free"),
                    total.getMessage());
            held.forEach(DeviceBuffer::close);
            assertEquals(0, rt.allocatedBytes());
        }
    }

    @Test
    void buildErrorCarriesTheBuildLog() {
        try (OpenClRuntime rt = OpenClTestSupport.openPreferredDevice()) {
            OpenClException e = assertThrows(OpenClException.class,
                    () -> rt.kernel(List.of("common.cl", "broken_for_test.cl"), "broken"));
            assertTrue(e.getMessage().contains("broken_for_test.cl") && e.getMessage().contains("build log"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("undeclared_identifier"), e.getMessage());
            IllegalStateException missing = assertThrows(IllegalStateException.class,
                    () -> rt.kernel(List.of("no_such_file.cl"), "k"));
            assertTrue(missing.getMessage().contains("no_such_file.cl"), missing.getMessage());
        }
    }

    @Test
    void closedRuntimeRefusesWork() {
        OpenClRuntime rt = OpenClTestSupport.openPreferredDevice();
        DeviceBuffer b = rt.allocate(64, "left open");
        rt.close();
        assertEquals(0, rt.allocatedBytes(), "close releases buffers left open");
        assertThrows(IllegalStateException.class, () -> rt.allocate(4, "late"));
        assertThrows(IllegalStateException.class, b::readFloats);
        rt.close();
    }
}
