package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendException;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.BackendProvider;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.DeviceKind;
import org.ristretto.core.backend.Probe;
import org.ristretto.cpu.CpuBackendProvider;

/** The ServiceLoader provider: probing, device kinds and their rank in automatic selection, opening, no-OpenCL. */
class OpenClBackendProviderTest {

    @Test
    void registeredWithServiceLoader() {
        assertTrue(BackendSelector.discover().names().contains("opencl"), BackendSelector.discover().names()::toString);
    }

    @Test
    void probeReportsDevicesWithTheirKind() {
        Probe probe = new OpenClBackendProvider().probe();
        assertEquals("opencl", probe.backend());
        OpenClDevices raw = OpenClDevices.probe();
        assertEquals(raw.available(), probe.available(), probe.reason());
        if (!probe.available()) {
            assertTrue(!probe.reason().isBlank() && !probe.reason().startsWith("unavailable"), probe.reason());
            return;
        }
        for (int i = 0; i < probe.devices().size(); i++) {
            var info = probe.devices().get(i);
            assertEquals(i, info.index());
            OpenClDevice d = raw.devices().stream().filter(OpenClDevice::available).toList().get(i);
            assertEquals(d.name(), info.name());
            DeviceKind expected = switch (d.type()) {
                case CPU -> DeviceKind.CPU;
                case GPU -> DeviceKind.GPU;
                default -> DeviceKind.ACCELERATOR;
            };
            assertEquals(expected, info.kind());
            assertTrue(probe.reason().contains(d.name()), probe.reason());
        }
    }

    @Test
    void anOpenClCpuDeviceRanksBelowTheNativeCpuBackend() {
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device: " + probe.reason());
        boolean hasGpu = probe.devices().stream().anyMatch(d -> d.kind() != DeviceKind.CPU);
        BackendSelector selector = new BackendSelector(List.<BackendProvider>of(new CpuBackendProvider(),
                new OpenClBackendProvider()));
        BackendSelector.Selection auto = selector.select(BackendSelector.AUTO, -1);
        assertEquals(hasGpu ? "opencl" : "cpu", auto.provider().name(), auto.reason());
        assertEquals("opencl", selector.select("opencl", -1).provider().name());
    }

    @Test
    void opensAndRefusesMissingDevices() {
        Probe probe = new OpenClBackendProvider().probe();
        assumeTrue(probe.available(), () -> "skipped: no OpenCL device: " + probe.reason());
        try (Backend b = new OpenClBackendProvider().open(new BackendOptions(0, 1))) {
            assertEquals("opencl", b.name());
            assertEquals(probe.devices().getFirst(), b.device());
        }
        int missing = probe.devices().size();
        BackendException e = assertThrows(BackendException.class,
                () -> new OpenClBackendProvider().open(new BackendOptions(missing, 1)));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    /**
     * A JVM whose ICD loader finds no driver ({@code OCL_ICD_VENDORS} pointing at an empty folder) must report OpenCL
     * unavailable with a reason, not throw.
     */
    @Test
    void withoutAnyDriverTheProbeSaysWhy(@TempDir Path empty) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ProbeMain.class.getName());
        pb.environment().put("OCL_ICD_VENDORS", empty.toString());
        pb.environment().remove("OPENCL_VENDOR_PATH");
        pb.environment().remove("OCL_ICD_FILENAMES"); // drivers listed by file, read by both common ICD loaders
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("Exception in thread"), out);
        // On the lent GPU machine (PoCL and NVIDIA's driver installed) the child still found PoCL this way.
        assumeFalse(out.contains("available=true"), () -> "skipped: with OCL_ICD_VENDORS pointing at an empty "
                + "folder this machine's OpenCL ICD loader still finds a driver, so no driverless JVM can be made "
                + "here: " + out.strip());
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("reason=") && !out.contains("reason=\n"), out);
        assertFalse(out.contains("Exception in thread"), out);
        assertTrue(Files.isDirectory(empty));
    }
}
