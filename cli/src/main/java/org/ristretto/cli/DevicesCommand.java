package org.ristretto.cli;

import java.io.PrintWriter;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendException;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.BackendProvider;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.Probe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto devices}: every backend with its devices, or why it cannot run here. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List every backend with its devices (name, vendor, memory, compute units) or why it is unavailable,"
                + " the weight types and operations it runs itself or through the CPU fallback,"
                + " and what --backend auto would pick.")
final class DevicesCommand implements Callable<Integer> {

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BackendSelector selector = BackendSelector.discover();
        for (Probe probe : selector.probeAll()) {
            out.printf("%s: %s%n", probe.backend(),
                    probe.available() ? "available (" + probe.reason() + ")" : "unavailable: " + probe.reason());
            for (DeviceInfo d : probe.devices()) {
                out.printf("  device %d: %s | vendor %s | %s | memory %s | %d compute units%n", d.index(), d.name(),
                        d.vendor(), d.kind().name().toLowerCase(java.util.Locale.ROOT), Sizes.bytes(d.memoryBytes()),
                        d.computeUnits());
            }
            if (probe.available()) {
                out.println("  " + capabilities(probe.backend()));
            }
        }
        var auto = selector.select(BackendSelector.AUTO, -1);
        out.printf("auto: %s device %d, %s (%s)%n", auto.provider().name(), auto.device().index(), auto.device().name(),
                auto.reason());
        out.flush();
        return 0;
    }

    /**
     * The backend's capability line, from its own {@code supports} answers: it is opened briefly on its first device
     * (with one host thread), as is the CPU backend that would take what it lacks.
     */
    private static String capabilities(String name) {
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name)).findFirst().orElseThrow();
        BackendProvider cpuProvider = name.equals("cpu") ? null : ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("cpu")).findFirst().orElse(null);
        try (Backend backend = provider.open(new BackendOptions(0, 1));
                Backend cpu = cpuProvider == null ? null : cpuProvider.open(new BackendOptions(0, 1))) {
            return Capabilities.line(backend, cpu);
        } catch (BackendException e) {
            return "capabilities unknown: opening failed: " + e.getMessage();
        }
    }
}
