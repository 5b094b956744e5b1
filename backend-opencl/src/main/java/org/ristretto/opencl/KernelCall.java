package org.ristretto.opencl;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;

/**
 * Sets the arguments of one cached kernel in order and enqueues it. A fresh call object per launch; the kernel object
 * underneath is shared, which is why a runtime belongs to one thread.
 */
final class KernelCall {
    private final OpenClRuntime runtime;
    private final OpenClPrograms.KernelHandle handle;
    private int index;

    KernelCall(OpenClRuntime runtime, OpenClPrograms.KernelHandle handle) {
        this.runtime = runtime;
        this.handle = handle;
    }

    /** The largest work-group this kernel can run with on the device. */
    long maxWorkGroupSize() {
        return handle.maxWorkGroupSize();
    }

    KernelCall arg(DeviceBuffer b) {
        return set(Sizeof.cl_mem, Pointer.to(b.mem()));
    }

    /** A buffer and the byte offset of the slice: two kernel arguments. */
    KernelCall arg(DeviceSlice s) {
        return arg(s.buffer()).arg(s.offset());
    }

    KernelCall arg(int v) {
        return set(Sizeof.cl_int, Pointer.to(new int[] {v}));
    }

    KernelCall arg(long v) {
        return set(Sizeof.cl_long, Pointer.to(new long[] {v}));
    }

    KernelCall arg(float v) {
        return set(Sizeof.cl_float, Pointer.to(new float[] {v}));
    }

    /** A {@code __local} buffer of {@code bytes}. */
    KernelCall local(long bytes) {
        return set(bytes, null);
    }

    private KernelCall set(long size, Pointer value) {
        OpenClException.check(CL.clSetKernelArg(handle.kernel(), index, size, value),
                "setting argument " + index + " of kernel " + handle.name());
        index++;
        return this;
    }

    /** Enqueues over {@code global} work-items in groups of {@code local} (null lets the driver choose). */
    void run(long[] global, long[] local) {
        int st = CL.clEnqueueNDRangeKernel(runtime.queue(), handle.kernel(), global.length, null, global, local, 0,
                null, null);
        if (st == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || st == CL.CL_OUT_OF_RESOURCES) {
            throw new OpenClException("OpenCL device " + runtime.device().name() + " ran out of resources launching"
                    + " kernel " + handle.name() + " (" + OpenClException.statusName(st) + ")", st);
        }
        OpenClException.check(st, "launching kernel " + handle.name() + " on " + runtime.device().name());
    }

    /** One-dimensional launch: {@code groups} work-groups of {@code local} work-items. */
    void runGroups(long groups, long local) {
        run(new long[] {groups * local}, new long[] {local});
    }
}
