package org.ristretto.core.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Finds the backend providers on the class path, probes them, and opens the one the user asked for.
 *
 * <p>{@code auto} prefers CUDA, then an OpenCL GPU or accelerator, then the CPU, and says why in one line; when the
 * preferred backend fails to open, {@code auto} falls back to the CPU and says that too. A named backend that is
 * missing or unavailable is an error that carries the probe's reason. A device backend comes wrapped in a
 * {@link FallbackBackend}, so the weight types and operations it lacks run on the CPU backend.
 */
public final class BackendSelector {

    /** The name that asks for automatic selection. */
    public static final String AUTO = "auto";

    private final List<BackendProvider> providers;
    private final Map<String, Probe> probes = new LinkedHashMap<>();

    public BackendSelector(List<BackendProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    /** A selector over every provider registered with {@link ServiceLoader}. */
    public static BackendSelector discover() {
        List<BackendProvider> found = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(found::add);
        return new BackendSelector(found);
    }

    /** The registered providers' names, in discovery order. */
    public List<String> names() {
        return providers.stream().map(BackendProvider::name).toList();
    }

    /** Probes every provider (once; later calls reuse the answers). */
    public List<Probe> probeAll() {
        return providers.stream().map(this::probe).toList();
    }

    /**
     * What {@link #open} would pick, without opening anything.
     *
     * @param requested   "auto" or a provider name
     * @param deviceIndex the device to use, or -1 for the backend's preferred one
     * @throws BackendException when a named backend is missing or unavailable, or the device index is out of range
     */
    public Selection select(String requested, int deviceIndex) {
        if (AUTO.equals(requested)) {
            return selectAuto(deviceIndex);
        }
        BackendProvider provider = providers.stream().filter(p -> p.name().equals(requested)).findFirst()
                .orElseThrow(() -> new BackendException("unknown backend '" + requested + "'; available: "
                        + String.join(", ", names()) + " or auto"));
        Probe probe = probe(provider);
        if (!probe.available()) {
            throw new BackendException("backend " + requested + " is unavailable: " + probe.reason());
        }
        if (deviceIndex < 0) {
            DeviceInfo preferred = probe.preferredDevice();
            int count = probe.devices().size();
            String which = preferred.kind() == DeviceKind.CPU ? "device" : "GPU or accelerator";
            return new Selection(provider, preferred, "requested " + requested
                    + (count > 1 ? "; its first " + which + " of " + count : ""));
        }
        if (deviceIndex >= probe.devices().size()) {
            throw new BackendException("backend " + requested + " has " + probe.devices().size()
                    + " device(s); --device " + deviceIndex + " does not exist");
        }
        return new Selection(provider, probe.devices().get(deviceIndex), "requested " + requested);
    }

    /**
     * Selects and opens a backend. Notes on what was picked and why (and any fallback) go to {@code notes}.
     *
     * @throws BackendException when the requested backend cannot be opened and no fallback applies
     */
    public Backend open(String requested, int deviceIndex, int threads, Consumer<String> notes) {
        return open(requested, deviceIndex, threads, WeightPacking.PACKED_ON_HUGE_PAGES, notes);
    }

    /**
     * {@link #open(String, int, int, Consumer)}, saying whether the backend may keep packed copies of weights, and
     * on which pages ({@link BackendOptions#packing}).
     */
    public Backend open(String requested, int deviceIndex, int threads, WeightPacking packing,
            Consumer<String> notes) {
        return open(requested, deviceIndex, threads, packing, null, notes);
    }

    /**
     * {@link #open(String, int, int, WeightPacking, Consumer)}, with a folder where the packed copies are kept between
     * runs ({@link BackendOptions#packCache}; null for none).
     */
    public Backend open(String requested, int deviceIndex, int threads, WeightPacking packing,
            PackedCopyCache packCache, Consumer<String> notes) {
        Selection selection = select(requested, deviceIndex);
        notes.accept("backend: " + selection.provider().name() + " on " + selection.device().name()
                + " (" + selection.reason() + ")");
        Backend opened;
        try {
            opened = selection.provider().open(new BackendOptions(selection.device().index(), threads,
                    packing, packCache));
        } catch (BackendException e) {
            if (!AUTO.equals(requested) || selection.provider().name().equals("cpu")) {
                throw e;
            }
            notes.accept("backend: " + selection.provider().name() + " failed (" + e.getMessage()
                    + "); falling back to cpu");
            Selection cpu = select("cpu", -1);
            return cpu.provider().open(new BackendOptions(cpu.device().index(), threads, packing, packCache));
        }
        return withCpuFallback(opened, threads, packing, packCache);
    }

    /**
     * Wraps a device backend in a {@link FallbackBackend} over a CPU backend with the same thread count, so types
     * and operations the device lacks run on the CPU; the CPU backend itself, or any backend when no "cpu" provider
     * is installed or available, comes back as it is.
     */
    private Backend withCpuFallback(Backend primary, int threads, WeightPacking packing, PackedCopyCache packCache) {
        BackendProvider cpu = find("cpu");
        if (primary.name().equals("cpu") || cpu == null || !probe(cpu).available()) {
            return primary;
        }
        try {
            return new FallbackBackend(primary, cpu.open(new BackendOptions(0, threads, packing, packCache)));
        } catch (RuntimeException | Error e) {
            primary.close();
            throw e;
        }
    }

    private Selection selectAuto(int deviceIndex) {
        List<String> skipped = new ArrayList<>();
        for (String name : List.of("cuda", "opencl")) {
            BackendProvider provider = find(name);
            if (provider == null) {
                skipped.add(name + " not installed");
                continue;
            }
            Probe probe = probe(provider);
            if (!probe.available()) {
                skipped.add(name + " unavailable: " + probe.reason());
                continue;
            }
            for (DeviceInfo device : probe.devices()) {
                boolean wanted = deviceIndex < 0 ? device.kind() != DeviceKind.CPU : device.index() == deviceIndex;
                if (wanted) {
                    return new Selection(provider, device, reason("auto picked a " + device.kind(), skipped));
                }
            }
            skipped.add(name + " has no GPU or accelerator device");
        }
        BackendProvider cpu = find("cpu");
        if (cpu == null || !probe(cpu).available()) {
            throw new BackendException("no usable backend: " + String.join("; ", skipped)
                    + (cpu == null ? "; cpu not installed" : "; cpu unavailable: " + probe(cpu).reason()));
        }
        return new Selection(cpu, probe(cpu).preferredDevice(), reason("auto fell back to the CPU", skipped));
    }

    private static String reason(String head, List<String> skipped) {
        return skipped.isEmpty() ? head : head + "; " + String.join("; ", skipped);
    }

    private BackendProvider find(String name) {
        return providers.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    private Probe probe(BackendProvider provider) {
        return probes.computeIfAbsent(provider.name(), n -> {
            try {
                return provider.probe();
            } catch (RuntimeException | LinkageError e) {
                // A provider must not throw, but a broken native library should not take the others down with it.
                return Probe.unavailable(n, "probe failed: " + e);
            }
        });
    }

    /**
     * A choice of backend and device.
     *
     * @param reason why this one was picked, for stderr
     */
    public record Selection(BackendProvider provider, DeviceInfo device, String reason) {
    }
}
