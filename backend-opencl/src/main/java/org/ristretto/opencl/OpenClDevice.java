package org.ristretto.opencl;

import java.util.Locale;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as the platform describes it. Obtained from {@link OpenClDevices#probe()}; opened with
 * {@link OpenClRuntime#open(OpenClDevice)}.
 */
public final class OpenClDevice {
    private final cl_platform_id platformId;
    private final cl_device_id deviceId;
    private final int platformIndex;
    private final int deviceIndex;
    private final String platformName;
    private final String name;
    private final String vendor;
    private final OpenClDeviceType type;
    private final String version;
    private final String cVersion;
    private final long globalMemoryBytes;
    private final long maxAllocationBytes;
    private final long localMemoryBytes;
    private final int computeUnits;
    private final long maxWorkGroupSize;
    private final boolean available;

    OpenClDevice(cl_platform_id platformId, cl_device_id deviceId, int platformIndex, int deviceIndex,
            String platformName, String name, String vendor, OpenClDeviceType type, String version, String cVersion,
            long globalMemoryBytes, long maxAllocationBytes, long localMemoryBytes, int computeUnits,
            long maxWorkGroupSize, boolean available) {
        this.platformId = platformId;
        this.deviceId = deviceId;
        this.platformIndex = platformIndex;
        this.deviceIndex = deviceIndex;
        this.platformName = platformName;
        this.name = name;
        this.vendor = vendor;
        this.type = type;
        this.version = version;
        this.cVersion = cVersion;
        this.globalMemoryBytes = globalMemoryBytes;
        this.maxAllocationBytes = maxAllocationBytes;
        this.localMemoryBytes = localMemoryBytes;
        this.computeUnits = computeUnits;
        this.maxWorkGroupSize = maxWorkGroupSize;
        this.available = available;
    }

    cl_platform_id platformId() {
        return platformId;
    }

    cl_device_id deviceId() {
        return deviceId;
    }

    /** Index of the platform in the ICD loader's list. */
    public int platformIndex() {
        return platformIndex;
    }

    /** Index of the device within its platform. */
    public int deviceIndex() {
        return deviceIndex;
    }

    /** The platform's name ("Portable Computing Language", "NVIDIA CUDA", ...). */
    public String platformName() {
        return platformName;
    }

    /** The device's name. */
    public String name() {
        return name;
    }

    /** The device's vendor. */
    public String vendor() {
        return vendor;
    }

    /** GPU, CPU, accelerator, ... */
    public OpenClDeviceType type() {
        return type;
    }

    /** {@code CL_DEVICE_VERSION}, for example "OpenCL 3.0 PoCL ...". */
    public String version() {
        return version;
    }

    /** {@code CL_DEVICE_OPENCL_C_VERSION}, the kernel language level, for example "OpenCL C 1.2". */
    public String openClCVersion() {
        return cVersion;
    }

    /** The OpenCL major version the device reports (1, 2 or 3). */
    public int majorVersion() {
        // "OpenCL <major>.<minor> <vendor-specific>"
        String[] words = version.split(" ");
        if (words.length > 1 && !words[1].isEmpty() && Character.isDigit(words[1].charAt(0))) {
            return words[1].charAt(0) - '0';
        }
        return 1;
    }

    /** Global memory in bytes. */
    public long globalMemoryBytes() {
        return globalMemoryBytes;
    }

    /** The largest single buffer the device allows ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}). */
    public long maxAllocationBytes() {
        return maxAllocationBytes;
    }

    /** Local (work-group shared) memory in bytes. */
    public long localMemoryBytes() {
        return localMemoryBytes;
    }

    /** Compute units (cores on a CPU device, multiprocessors on a GPU). */
    public int computeUnits() {
        return computeUnits;
    }

    /** The largest work-group the device runs. */
    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** {@code CL_DEVICE_AVAILABLE}: false when the device exists but cannot take work now. */
    public boolean available() {
        return available;
    }

    /** A stable short id, {@code opencl:<platform>:<device>}. */
    public String id() {
        return "opencl:" + platformIndex + ":" + deviceIndex;
    }

    /** One line: name, type, platform, version, memory and compute units. */
    public String describe() {
        return String.format(Locale.ROOT, "%s [%s, %s] %s, %s; %.1f GiB global, %d compute units%s", name,
                type.name().toLowerCase(Locale.ROOT), platformName, vendor, version,
                globalMemoryBytes / (double) (1L << 30), computeUnits, available ? "" : " (not available)");
    }

    @Override
    public String toString() {
        return id() + " " + name;
    }
}
