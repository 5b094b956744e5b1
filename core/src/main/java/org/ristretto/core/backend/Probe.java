package org.ristretto.core.backend;

import java.util.List;

/**
 * What a backend provider found on this machine.
 *
 * @param backend   the provider's name ("cpu", "opencl", "cuda")
 * @param available whether at least one device can run models
 * @param reason    why the backend is unavailable, or a short note on what was found when it is available
 * @param devices   the usable devices, in the order {@code --device N} indexes them; empty when unavailable
 */
public record Probe(String backend, boolean available, String reason, List<DeviceInfo> devices) {

    public Probe {
        devices = List.copyOf(devices);
    }

    /**
     * The device a backend runs on when no {@code --device} is given: its first GPU or accelerator, else its first
     * device. An OpenCL platform list often starts with a CPU driver (PoCL) ahead of the GPU, so the first device
     * alone would put a model on the CPU through OpenCL while a GPU sits idle.
     *
     * @throws IllegalStateException when the backend is unavailable (no devices)
     */
    public DeviceInfo preferredDevice() {
        if (devices.isEmpty()) {
            throw new IllegalStateException(backend + " has no device: " + reason);
        }
        return devices.stream().filter(d -> d.kind() != DeviceKind.CPU).findFirst().orElse(devices.getFirst());
    }

    /** A probe result for a backend that cannot run here. */
    public static Probe unavailable(String backend, String reason) {
        return new Probe(backend, false, reason, List.of());
    }
}
