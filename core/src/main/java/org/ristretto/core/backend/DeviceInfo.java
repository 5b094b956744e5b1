package org.ristretto.core.backend;

/**
 * One device a backend can run on, as its probe reports it.
 *
 * @param index        position in the provider's device list ({@code --device N})
 * @param name         the device's own name, e.g. "NVIDIA H100 80GB HBM3"
 * @param vendor       the vendor string the runtime reports
 * @param kind         CPU, GPU or other accelerator
 * @param memoryBytes  memory usable for tensors (host RAM for CPU backends)
 * @param computeUnits cores, compute units or streaming multiprocessors
 */
public record DeviceInfo(int index, String name, String vendor, DeviceKind kind, long memoryBytes, int computeUnits) {
}
