package org.ristretto.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Selection policy over providers that only report probes (opening is not exercised here). */
class BackendSelectorTest {

    private static DeviceInfo device(int index, String name, DeviceKind kind) {
        return new DeviceInfo(index, name, "vendor", kind, 1L << 30, 4);
    }

    /** A provider whose probe answer is fixed and whose open fails with a message (the selector must pass it on). */
    private record ProbeOnly(String name, Probe answer) implements BackendProvider {
        @Override
        public Probe probe() {
            return answer;
        }

        @Override
        public Backend open(BackendOptions options) {
            throw new BackendException(name + " cannot open device " + options.deviceIndex());
        }
    }

    private static final BackendProvider CPU = new ProbeOnly("cpu",
            new Probe("cpu", true, "2 cores", List.of(device(0, "host", DeviceKind.CPU))));
    private static final BackendProvider NO_CUDA = new ProbeOnly("cuda", Probe.unavailable("cuda", "no CUDA driver"));
    private static final BackendProvider POCL = new ProbeOnly("opencl",
            new Probe("opencl", true, "1 platform", List.of(device(0, "pthread", DeviceKind.CPU))));
    private static final BackendProvider OPENCL_GPU = new ProbeOnly("opencl", new Probe("opencl", true, "2 platforms",
            List.of(device(0, "pthread", DeviceKind.CPU), device(1, "Radeon", DeviceKind.GPU))));

    @Test
    void autoPrefersAnOpenClGpuOverTheCpuAndSaysWhyCudaWasSkipped() {
        var s = new BackendSelector(List.of(CPU, NO_CUDA, OPENCL_GPU)).select("auto", -1);
        assertEquals("opencl", s.provider().name());
        assertEquals("Radeon", s.device().name());
        assertTrue(s.reason().contains("no CUDA driver"), s.reason());
    }

    @Test
    void autoIgnoresAnOpenClCpuDeviceAndFallsBackToTheCpuBackend() {
        var s = new BackendSelector(List.of(CPU, NO_CUDA, POCL)).select("auto", -1);
        assertEquals("cpu", s.provider().name());
        assertTrue(s.reason().contains("opencl has no GPU"), s.reason());
    }

    @Test
    void aNamedUnavailableBackendIsAnErrorWithTheProbeReason() {
        var e = assertThrows(BackendException.class,
                () -> new BackendSelector(List.of(CPU, NO_CUDA)).select("cuda", -1));
        assertTrue(e.getMessage().contains("no CUDA driver"), e.getMessage());
        var unknown = assertThrows(BackendException.class,
                () -> new BackendSelector(List.of(CPU)).select("metal", -1));
        assertTrue(unknown.getMessage().contains("'metal'") && unknown.getMessage().contains("cpu"), unknown.getMessage());
    }

    @Test
    void aNamedBackendWithoutDeviceIndexPrefersItsGpuOverAnOpenClCpuDevice() {
        var gpu = new BackendSelector(List.of(CPU, OPENCL_GPU)).select("opencl", -1);
        assertEquals("Radeon", gpu.device().name());
        assertTrue(gpu.reason().contains("first GPU or accelerator of 2"), gpu.reason());
        assertEquals("pthread", new BackendSelector(List.of(CPU, OPENCL_GPU)).select("opencl", 0).device().name());
        assertEquals("pthread", new BackendSelector(List.of(CPU, POCL)).select("opencl", -1).device().name());
    }

    @Test
    void aDeviceIndexOutOfRangeIsAnError() {
        var e = assertThrows(BackendException.class,
                () -> new BackendSelector(List.of(CPU, POCL)).select("opencl", 3));
        assertTrue(e.getMessage().contains("--device 3"), e.getMessage());
        assertEquals("pthread", new BackendSelector(List.of(POCL)).select("opencl", 0).device().name());
    }

    @Test
    void aProbeThatThrowsMakesOnlyThatBackendUnavailable() {
        BackendProvider throwing = new BackendProvider() {
            public String name() {
                return "cuda";
            }

            public Probe probe() {
                throw new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file");
            }

            public Backend open(BackendOptions options) {
                throw new AssertionError("not reached");
            }
        };
        var selector = new BackendSelector(List.of(CPU, throwing));
        var s = selector.select("auto", -1);
        assertEquals("cpu", s.provider().name());
        assertTrue(s.reason().contains("libcuda.so.1"), s.reason());
        assertFalse(selector.probeAll().get(1).available());
    }

    @Test
    void openingANamedBackendThatFailsIsReportedButAutoFallsBackToTheCpu() {
        List<String> notes = new ArrayList<>();
        var selector = new BackendSelector(List.of(CPU, OPENCL_GPU));
        var named = assertThrows(BackendException.class, () -> selector.open("opencl", 1, 1, notes::add));
        assertTrue(named.getMessage().contains("cannot open device 1"), named.getMessage());
        // auto: opencl fails, then the cpu is tried (whose fake also fails, with its own message)
        notes.clear();
        var auto = assertThrows(BackendException.class, () -> selector.open("auto", -1, 1, notes::add));
        assertTrue(auto.getMessage().startsWith("cpu cannot open"), auto.getMessage());
        assertTrue(notes.stream().anyMatch(n -> n.contains("falling back to cpu")), notes.toString());
    }
}
