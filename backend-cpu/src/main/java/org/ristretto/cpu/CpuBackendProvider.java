package org.ristretto.cpu;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.BackendProvider;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.DeviceKind;
import org.ristretto.core.backend.Probe;

/** Registers the CPU backend with {@link java.util.ServiceLoader}: always available, one device, the host CPU. */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Probe probe() {
        DeviceInfo device = hostDevice();
        return new Probe(name(), true, device.vendor() + ", " + device.computeUnits() + " cores, "
                + device.memoryBytes() / (1 << 20) + " MiB RAM", List.of(device));
    }

    @Override
    public Backend open(BackendOptions options) {
        if (options.deviceIndex() != 0) {
            throw new org.ristretto.core.backend.BackendException("the cpu backend has one device (0), not "
                    + options.deviceIndex());
        }
        return new CpuBackend(hostDevice(), options.threads(), options.packing(), options.packCache());
    }

    /** The host as a device: its cores and RAM, and the processor model where the OS tells it. */
    static DeviceInfo hostDevice() {
        long memory;
        try {
            memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            memory = Runtime.getRuntime().maxMemory();
        }
        return new DeviceInfo(0, "host CPU", processorModel(), DeviceKind.CPU, memory,
                Runtime.getRuntime().availableProcessors());
    }

    private static String processorModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
