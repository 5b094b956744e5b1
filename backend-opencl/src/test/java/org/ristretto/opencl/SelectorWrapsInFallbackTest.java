package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendProvider;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.FallbackBackend;
import org.ristretto.core.backend.Probe;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;

/** {@link BackendSelector#open} puts a device backend behind a {@link FallbackBackend} with a CPU backend. */
class SelectorWrapsInFallbackTest {

    @Test
    void aDeviceBackendComesWithTheCpuBehindIt() {
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device: " + probe.reason());
        List<String> notes = new ArrayList<>();
        BackendSelector selector = new BackendSelector(List.<BackendProvider>of(new CpuBackendProvider(),
                new OpenClBackendProvider()));
        try (Backend b = selector.open("opencl", 0, 3, notes::add)) {
            FallbackBackend f = assertInstanceOf(FallbackBackend.class, b);
            assertInstanceOf(OpenClBackend.class, f.primary());
            assertEquals(3, assertInstanceOf(CpuBackend.class, f.cpu()).threads(), "the CPU gets the same threads");
            assertEquals("opencl", b.name());
        }
        try (Backend cpu = selector.open("cpu", 0, 1, notes::add)) {
            assertInstanceOf(CpuBackend.class, cpu, "the CPU backend is not wrapped");
        }
        BackendSelector withoutCpu = new BackendSelector(List.<BackendProvider>of(new OpenClBackendProvider()));
        try (Backend alone = withoutCpu.open("opencl", 0, 1, notes::add)) {
            assertSame(OpenClBackend.class, alone.getClass(), "no cpu provider: the device backend alone");
        }
    }
}
