package org.ristretto.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The kernels of one context, built on first use from the {@code .cl} resources beside this class and kept until
 * {@link #close()}. A program is the concatenation of several source files (the shared helpers, a type's block codec,
 * a kernel template), so one template serves every block format. Not thread-safe: a runtime is driven by one thread.
 */
final class OpenClPrograms implements AutoCloseable {
    /** Resource folder of the kernel sources. */
    static final String RESOURCE_DIR = "/org/ristretto/opencl/";
    private static final String BUILD_OPTIONS = "-cl-std=CL1.2";

    private final cl_context context;
    private final OpenClDevice device;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, KernelHandle> kernels = new HashMap<>();

    /** A built kernel and the largest work-group it may run with on this device. */
    record KernelHandle(cl_kernel kernel, String name, long maxWorkGroupSize) {}

    OpenClPrograms(cl_context context, OpenClDevice device) {
        this.context = context;
        this.device = device;
    }

    /** The kernel {@code name} of the program made of {@code files} (in order), building the program if needed. */
    KernelHandle kernel(List<String> files, String name) {
        String programKey = String.join("+", files);
        String key = programKey + "#" + name;
        KernelHandle handle = kernels.get(key);
        if (handle == null) {
            cl_program program = programs.computeIfAbsent(programKey, k -> build(files));
            int[] err = new int[1];
            cl_kernel kernel = CL.clCreateKernel(program, name, err);
            OpenClException.check(err[0], "creating kernel " + name + " from " + programKey);
            long[] wg = new long[1];
            OpenClException.check(CL.clGetKernelWorkGroupInfo(kernel, device.deviceId(),
                    CL.CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(wg), null),
                    "querying the work-group size of kernel " + name);
            handle = new KernelHandle(kernel, name, wg[0]);
            kernels.put(key, handle);
        }
        return handle;
    }

    private cl_program build(List<String> files) {
        List<String> sources = new ArrayList<>();
        for (String f : files) {
            sources.add("#line 1 \"" + f + "\"\n" + source(f) + "\n");
        }
        String[] src = sources.toArray(String[]::new);
        int[] err = new int[1];
        cl_program program = CL.clCreateProgramWithSource(context, src.length, src, null, err);
        OpenClException.check(err[0], "creating program " + files);
        int status = CL.clBuildProgram(program, 1, new cl_device_id[] {device.deviceId()}, BUILD_OPTIONS, null, null);
        if (status != CL.CL_SUCCESS) {
            String log = buildLog(program);
            CL.clReleaseProgram(program);
            if (OpenClException.isDeviceLost(status)) {
                throw OpenClException.failure(status, "building " + files);
            }
            throw new OpenClException("building OpenCL program " + files + " for " + device.name() + " failed with "
                    + OpenClException.statusName(status) + "; build log:\n" + log, status);
        }
        return program;
    }

    private String buildLog(cl_program program) {
        long[] size = new long[1];
        if (CL.clGetProgramBuildInfo(program, device.deviceId(), CL.CL_PROGRAM_BUILD_LOG, 0, null, size)
                != CL.CL_SUCCESS || size[0] <= 1) {
            return "(no build log)";
        }
        byte[] bytes = new byte[(int) Math.min(size[0], 1 << 20)];
        CL.clGetProgramBuildInfo(program, device.deviceId(), CL.CL_PROGRAM_BUILD_LOG, bytes.length,
                Pointer.to(bytes), null);
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8).strip();
    }

    /** The text of a kernel source resource. */
    static String source(String file) {
        try (InputStream in = OpenClPrograms.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("OpenCL kernel source " + RESOURCE_DIR + file
                        + " is missing from the class path (a broken ristretto-backend-opencl jar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading OpenCL kernel source " + RESOURCE_DIR + file, e);
        }
    }

    @Override
    public void close() {
        for (KernelHandle k : kernels.values()) {
            CL.clReleaseKernel(k.kernel());
        }
        kernels.clear();
        for (cl_program p : programs.values()) {
            CL.clReleaseProgram(p);
        }
        programs.clear();
    }
}
