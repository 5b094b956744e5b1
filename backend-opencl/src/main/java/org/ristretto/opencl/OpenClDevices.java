package org.ristretto.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * What OpenCL offers on this machine: the devices of every platform, or why there are none.
 *
 * <p>"No OpenCL" is an ordinary answer, not an error: without an ICD loader ({@code libOpenCL.so}) JOCL's native
 * library fails to link, and with a loader but no installed driver the loader reports no platforms. Both come back
 * as {@link #unavailableReason()}.
 *
 * @param devices every device of every platform, in platform then device order; empty when OpenCL is unavailable
 * @param unavailableReason why there is no device at all, when there is none
 */
public record OpenClDevices(List<OpenClDevice> devices, Optional<String> unavailableReason) {

    public OpenClDevices {
        devices = List.copyOf(devices);
    }

    /** Whether at least one device was found. */
    public boolean available() {
        return !devices.isEmpty();
    }

    /** Enumerates platforms and devices; never throws for a machine without OpenCL. */
    public static OpenClDevices probe() {
        if (!icdLoaderFound()) {
            return none("no OpenCL ICD loader (libOpenCL.so.1) on this machine; install one and a driver"
                    + " (apt-get install ocl-icd-libopencl1 pocl-opencl-icd for CPUs)");
        }
        try {
            return enumerate();
        } catch (LinkageError e) {
            // UnsatisfiedLinkError on first use, NoClassDefFoundError for CL on every later use.
            return none("the OpenCL library could not be loaded (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "); install an OpenCL ICD loader and a driver (PoCL for CPUs)");
        } catch (OpenClException e) {
            return none(e.getMessage());
        }
    }

    /**
     * On Linux, whether the dynamic loader finds the OpenCL ICD loader under the names JOCL's native library tries;
     * asked first because JOCL, failing to find it, prints its own lines to stderr. True elsewhere (JOCL decides).
     */
    private static boolean icdLoaderFound() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return true;
        }
        for (String name : new String[] {"libOpenCL.so.1", "libOpenCL.so"}) {
            try (Arena arena = Arena.ofConfined()) {
                SymbolLookup.libraryLookup(name, arena);
                return true;
            } catch (IllegalArgumentException notFound) {
                // try the next name
            }
        }
        return false;
    }

    private static OpenClDevices none(String reason) {
        return new OpenClDevices(List.of(), Optional.of(reason));
    }

    private static OpenClDevices enumerate() {
        int[] count = new int[1];
        int status = CL.clGetPlatformIDs(0, null, count);
        if (status == CL.CL_PLATFORM_NOT_FOUND_KHR || (status == CL.CL_SUCCESS && count[0] == 0)) {
            return none("the OpenCL ICD loader found no platform (no driver is installed under"
                    + " /etc/OpenCL/vendors; PoCL provides one for CPUs)");
        }
        OpenClException.check(status, "listing OpenCL platforms");
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        OpenClException.check(CL.clGetPlatformIDs(platforms.length, platforms, null), "listing OpenCL platforms");
        List<OpenClDevice> devices = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            String platformName = platformString(platforms[p], CL.CL_PLATFORM_NAME);
            int[] n = new int[1];
            int st = CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            if (st == CL.CL_DEVICE_NOT_FOUND || n[0] == 0) {
                empty.add(platformName);
                continue;
            }
            OpenClException.check(st, "listing the devices of OpenCL platform " + platformName);
            cl_device_id[] ids = new cl_device_id[n[0]];
            OpenClException.check(CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null),
                    "listing the devices of OpenCL platform " + platformName);
            for (int d = 0; d < ids.length; d++) {
                devices.add(describe(platforms[p], ids[d], p, d, platformName));
            }
        }
        if (devices.isEmpty()) {
            return none("OpenCL platform(s) " + empty + " report no device");
        }
        return new OpenClDevices(devices, Optional.empty());
    }

    private static OpenClDevice describe(cl_platform_id platform, cl_device_id id, int p, int d, String platformName) {
        return new OpenClDevice(platform, id, p, d, platformName,
                deviceString(id, CL.CL_DEVICE_NAME).trim(),
                deviceString(id, CL.CL_DEVICE_VENDOR).trim(),
                OpenClDeviceType.of(deviceLong(id, CL.CL_DEVICE_TYPE)),
                deviceString(id, CL.CL_DEVICE_VERSION).trim(),
                deviceString(id, CL.CL_DEVICE_OPENCL_C_VERSION).trim(),
                deviceLong(id, CL.CL_DEVICE_GLOBAL_MEM_SIZE),
                deviceLong(id, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                deviceLong(id, CL.CL_DEVICE_LOCAL_MEM_SIZE),
                deviceInt(id, CL.CL_DEVICE_MAX_COMPUTE_UNITS),
                deviceSizeT(id, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                deviceInt(id, CL.CL_DEVICE_AVAILABLE) != 0);
    }

    private static String platformString(cl_platform_id platform, int param) {
        long[] size = new long[1];
        OpenClException.check(CL.clGetPlatformInfo(platform, param, 0, null, size), "reading platform info " + param);
        byte[] bytes = new byte[(int) size[0]];
        OpenClException.check(CL.clGetPlatformInfo(platform, param, bytes.length, Pointer.to(bytes), null),
                "reading platform info " + param);
        return cString(bytes);
    }

    static String deviceString(cl_device_id id, int param) {
        long[] size = new long[1];
        OpenClException.check(CL.clGetDeviceInfo(id, param, 0, null, size), "reading device info " + param);
        byte[] bytes = new byte[(int) size[0]];
        OpenClException.check(CL.clGetDeviceInfo(id, param, bytes.length, Pointer.to(bytes), null),
                "reading device info " + param);
        return cString(bytes);
    }

    private static long deviceLong(cl_device_id id, int param) {
        long[] v = new long[1];
        OpenClException.check(CL.clGetDeviceInfo(id, param, Sizeof.cl_ulong, Pointer.to(v), null),
                "reading device info " + param);
        return v[0];
    }

    private static long deviceSizeT(cl_device_id id, int param) {
        long[] v = new long[1];
        OpenClException.check(CL.clGetDeviceInfo(id, param, Sizeof.size_t, Pointer.to(v), null),
                "reading device info " + param);
        return v[0];
    }

    private static int deviceInt(cl_device_id id, int param) {
        int[] v = new int[1];
        OpenClException.check(CL.clGetDeviceInfo(id, param, Sizeof.cl_uint, Pointer.to(v), null),
                "reading device info " + param);
        return v[0];
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }
}
