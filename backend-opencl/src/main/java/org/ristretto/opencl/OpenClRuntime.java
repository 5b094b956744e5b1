package org.ristretto.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_queue_properties;

/**
 * An open OpenCL device: its context, one in-order command queue, the kernels built for it and the buffers allocated
 * on it. Kernels enqueued on the queue run in order, so a whole forward pass is enqueued without waiting and read
 * back once.
 *
 * <p>Not thread-safe: one thread drives a runtime. {@link #close()} releases every buffer still open, every kernel
 * and program, the queue and the context.
 */
public final class OpenClRuntime implements AutoCloseable {
    private final OpenClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final OpenClPrograms programs;
    private final Map<DeviceBuffer, Boolean> liveBuffers = new IdentityHashMap<>();
    private long allocatedBytes;
    private boolean closed;

    private OpenClRuntime(OpenClDevice device, cl_context context, cl_command_queue queue) {
        this.device = device;
        this.context = context;
        this.queue = queue;
        this.programs = new OpenClPrograms(context, device);
    }

    /**
     * Creates a context and an in-order queue on {@code device}.
     *
     * @throws OpenClException if the device is not available or the driver refuses a context
     */
    public static OpenClRuntime open(OpenClDevice device) {
        if (!device.available()) {
            throw new OpenClException("OpenCL device " + device.name() + " reports CL_DEVICE_AVAILABLE = false;"
                    + " it is in use exclusively elsewhere or switched off", CL.CL_DEVICE_NOT_AVAILABLE);
        }
        int[] err = new int[1];
        cl_device_id[] ids = {device.deviceId()};
        cl_context context = CL.clCreateContext(null, 1, ids, null, null, err);
        OpenClException.check(err[0], "creating a context on " + device.name());
        cl_command_queue queue;
        if (device.majorVersion() >= 2) {
            queue = CL.clCreateCommandQueueWithProperties(context, device.deviceId(), new cl_queue_properties(), err);
        } else {
            queue = createLegacyQueue(context, device, err);
        }
        if (err[0] != CL.CL_SUCCESS) {
            CL.clReleaseContext(context);
            throw OpenClException.failure(err[0], "creating a command queue on " + device.name());
        }
        return new OpenClRuntime(device, context, queue);
    }

    @SuppressWarnings("deprecation") // the only queue constructor an OpenCL 1.x device has
    private static cl_command_queue createLegacyQueue(cl_context context, OpenClDevice device, int[] err) {
        return CL.clCreateCommandQueue(context, device.deviceId(), 0, err);
    }

    /** The device this runtime runs on. */
    public OpenClDevice device() {
        return device;
    }

    /** Bytes held by this runtime's open buffers. */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /**
     * Device memory not yet taken by this runtime (global memory minus {@link #allocatedBytes()}); OpenCL has no query
     * for what other programs hold, so this is an upper bound.
     */
    public long freeBytes() {
        return Math.max(0, device.globalMemoryBytes() - allocatedBytes);
    }

    /**
     * Allocates an uninitialised read-write buffer.
     *
     * @param what what the buffer holds, for error messages ("blk.3.ffn_up.weight", "KV cache")
     * @throws OpenClException naming the bytes needed and free when the device cannot hold it
     */
    public DeviceBuffer allocate(long bytes, String what) {
        ensureOpen();
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer for " + what + " must have a positive size, got " + bytes);
        }
        if (bytes > device.maxAllocationBytes()) {
            throw new OpenClException(String.format(Locale.ROOT,
                    "%s needs one buffer of %,d bytes but %s allows at most %,d bytes per buffer", what, bytes,
                    device.name(), device.maxAllocationBytes()), CL.CL_INVALID_BUFFER_SIZE);
        }
        if (bytes > freeBytes()) {
            throw outOfMemory(what, bytes, CL.CL_MEM_OBJECT_ALLOCATION_FAILURE);
        }
        int[] err = new int[1];
        cl_mem mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, err);
        if (err[0] == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || err[0] == CL.CL_OUT_OF_RESOURCES
                || err[0] == CL.CL_OUT_OF_HOST_MEMORY) {
            throw outOfMemory(what, bytes, err[0]);
        }
        OpenClException.check(err[0], "allocating " + bytes + " bytes for " + what + " on " + device.name());
        DeviceBuffer buffer = new DeviceBuffer(this, mem, bytes, what);
        liveBuffers.put(buffer, Boolean.TRUE);
        allocatedBytes += bytes;
        return buffer;
    }

    /** Allocates a buffer holding a copy of {@code src} (raw bytes: quantized blocks are uploaded as they are). */
    public DeviceBuffer upload(MemorySegment src, String what) {
        DeviceBuffer b = allocate(src.byteSize(), what);
        try {
            b.write(0, src);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Allocates a buffer holding a copy of {@code src}. */
    public DeviceBuffer upload(float[] src, String what) {
        DeviceBuffer b = allocate((long) src.length * Float.BYTES, what);
        try {
            b.write(0, src, 0, src.length);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Allocates a buffer holding a copy of {@code src}. */
    public DeviceBuffer upload(int[] src, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tmp = arena.allocate((long) src.length * Integer.BYTES, 8);
            MemorySegment.copy(src, 0, tmp, ValueLayout.JAVA_INT, 0, src.length);
            return upload(tmp, what);
        }
    }

    /** Waits until every enqueued command has finished. */
    public void finish() {
        ensureOpen();
        OpenClException.check(CL.clFinish(queue), "waiting for " + device.name() + " to finish");
    }

    /** A launcher for kernel {@code name} of the program built from {@code files}. */
    KernelCall kernel(List<String> files, String name) {
        ensureOpen();
        return new KernelCall(this, programs.kernel(files, name));
    }

    cl_command_queue queue() {
        return queue;
    }

    OpenClException outOfMemory(String what, long needed, int status) {
        return new OpenClException(String.format(Locale.ROOT,
                "out of OpenCL device memory on %s for %s: needs %,d bytes, about %,d free of %,d (%,d held by this"
                        + " runtime); use a smaller model, a shorter context or another device",
                device.name(), what, needed, freeBytes(), device.globalMemoryBytes(), allocatedBytes), status);
    }

    void released(DeviceBuffer buffer) {
        if (liveBuffers.remove(buffer) != null) {
            allocatedBytes -= buffer.bytes();
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("OpenCL runtime on " + device.name() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        CL.clFinish(queue);
        for (DeviceBuffer b : List.copyOf(liveBuffers.keySet())) {
            b.close();
        }
        programs.close();
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
        closed = true;
    }
}
