package org.ristretto.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
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
        }
        var auto = selector.select(BackendSelector.AUTO, -1);
        out.printf("auto: %s device %d, %s (%s)%n", auto.provider().name(), auto.device().index(), auto.device().name(),
                auto.reason());
        out.flush();
        return 0;
    }
}
