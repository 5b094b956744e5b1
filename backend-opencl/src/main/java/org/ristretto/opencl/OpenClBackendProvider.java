package org.ristretto.opencl;

import java.util.ArrayList;
import java.util.List;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendException;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.backend.BackendProvider;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.DeviceKind;
import org.ristretto.core.backend.Probe;

/**
 * The OpenCL backend's {@link java.util.ServiceLoader} entry. The probe lists every available device of every
 * platform; an OpenCL device of type CPU (PoCL, say) is reported as {@link DeviceKind#CPU}, so automatic selection
 * keeps the native CPU backend ahead of it and picks OpenCL only for GPUs and accelerators.
 */
public final class OpenClBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Probe probe() {
        try {
            OpenClDevices found = OpenClDevices.probe();
            if (!found.available()) {
                return Probe.unavailable(name(), found.unavailableReason().orElse("no OpenCL device"));
            }
            List<OpenClDevice> usable = usable(found);
            if (usable.isEmpty()) {
                return Probe.unavailable(name(), "every OpenCL device reports CL_DEVICE_AVAILABLE = false");
            }
            List<DeviceInfo> infos = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (int i = 0; i < usable.size(); i++) {
                infos.add(info(i, usable.get(i)));
                notes.add(usable.get(i).describe());
            }
            return new Probe(name(), true, String.join("; ", notes), infos);
        } catch (RuntimeException | LinkageError e) {
            return Probe.unavailable(name(), "probing OpenCL failed: " + e);
        }
    }

    @Override
    public Backend open(BackendOptions options) {
        OpenClDevices found;
        try {
            found = OpenClDevices.probe();
        } catch (RuntimeException | LinkageError e) {
            throw new BackendException("OpenCL is unavailable: " + e, e);
        }
        List<OpenClDevice> usable = usable(found);
        if (usable.isEmpty()) {
            throw new BackendException("OpenCL is unavailable: " + found.unavailableReason().orElse("no device"));
        }
        if (options.deviceIndex() >= usable.size()) {
            throw new BackendException("OpenCL has " + usable.size() + " device(s); device " + options.deviceIndex()
                    + " does not exist");
        }
        OpenClDevice device = usable.get(options.deviceIndex());
        return new OpenClBackend(info(options.deviceIndex(), device), device);
    }

    private static List<OpenClDevice> usable(OpenClDevices found) {
        return found.devices().stream().filter(OpenClDevice::available).toList();
    }

    private static DeviceInfo info(int index, OpenClDevice d) {
        DeviceKind kind = switch (d.type()) {
            case CPU -> DeviceKind.CPU;
            case GPU -> DeviceKind.GPU;
            default -> DeviceKind.ACCELERATOR;
        };
        return new DeviceInfo(index, d.name(), d.vendor(), kind, d.globalMemoryBytes(), d.computeUnits());
    }
}
