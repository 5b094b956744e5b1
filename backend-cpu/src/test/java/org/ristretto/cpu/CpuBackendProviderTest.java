package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendException;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.DeviceKind;
import org.ristretto.core.backend.Probe;

/** The CPU provider is found by ServiceLoader, always available, and opens with the requested threads. */
class CpuBackendProviderTest {

    @Test
    void discoveredAndAvailable() {
        BackendSelector selector = BackendSelector.discover();
        assertTrue(selector.names().contains("cpu"), "ServiceLoader found " + selector.names());
        Probe probe = new CpuBackendProvider().probe();
        assertTrue(probe.available());
        assertEquals(1, probe.devices().size());
        DeviceInfo d = probe.devices().getFirst();
        assertEquals("host CPU", d.name());
        assertEquals(DeviceKind.CPU, d.kind());
        assertEquals(Runtime.getRuntime().availableProcessors(), d.computeUnits());
        assertTrue(d.memoryBytes() > 0);
    }

    @Test
    void autoFallsBackToTheCpuWhenNothingElseIsInstalled() {
        BackendSelector selector = new BackendSelector(java.util.List.of(new CpuBackendProvider()));
        var notes = new ArrayList<String>();
        try (Backend b = selector.open("auto", -1, 3, notes::add)) {
            assertEquals("cpu", b.name());
            assertEquals(3, ((CpuBackend) b).threads());
        }
        assertTrue(notes.getFirst().contains("cpu"), notes.toString());
    }

    @Test
    void onlyDeviceZeroExists() {
        assertThrows(BackendException.class, () -> new CpuBackendProvider().open(new BackendOptions(1, 1)));
    }
}
