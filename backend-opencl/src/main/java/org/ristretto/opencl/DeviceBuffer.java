package org.ristretto.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_mem;

/**
 * A buffer in an OpenCL device's global memory, owned by the {@link OpenClRuntime} that allocated it. Reads and writes
 * block until done; kernels that use the buffer run in queue order. {@link #close()} frees it (the runtime frees every
 * buffer still open when it closes).
 */
public final class DeviceBuffer implements AutoCloseable {
    /** Host-to-device copies go in slices of this size: a ByteBuffer view is limited to 2 GB. */
    private static final long SLICE = 1L << 30;

    private final OpenClRuntime runtime;
    private final long bytes;
    private final String what;
    private cl_mem mem;

    DeviceBuffer(OpenClRuntime runtime, cl_mem mem, long bytes, String what) {
        this.runtime = runtime;
        this.mem = mem;
        this.bytes = bytes;
        this.what = what;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** What the buffer holds, as given at allocation. */
    public String what() {
        return what;
    }

    /** The runtime that owns this buffer. */
    public OpenClRuntime runtime() {
        return runtime;
    }

    cl_mem mem() {
        if (mem == null) {
            throw new IllegalStateException("device buffer for " + what + " is closed");
        }
        return mem;
    }

    /** The whole buffer as a slice. */
    public DeviceSlice all() {
        return DeviceSlice.of(this);
    }

    /** Copies all of {@code src} into this buffer at byte {@code offset}. */
    public void write(long offset, MemorySegment src) {
        checkRange(offset, src.byteSize());
        if (!src.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment tmp = arena.allocate(src.byteSize(), 16);
                tmp.copyFrom(src);
                write(offset, tmp);
                return;
            }
        }
        for (long done = 0; done < src.byteSize(); done += SLICE) {
            long n = Math.min(SLICE, src.byteSize() - done);
            Pointer p = Pointer.to(src.asSlice(done, n).asByteBuffer());
            enqueueWrite(offset + done, n, p);
        }
    }

    /** Copies {@code n} floats from {@code src[from]} into this buffer at float index {@code index}. */
    public void write(long index, float[] src, int from, int n) {
        Objects.checkFromIndexSize(from, n, src.length);
        checkRange(index * Float.BYTES, (long) n * Float.BYTES);
        if (n > 0) {
            enqueueWrite(index * Float.BYTES, (long) n * Float.BYTES, Pointer.to(src).withByteOffset(from * 4L));
        }
    }

    /** Copies {@code n} ints from {@code src[from]} into this buffer at int index {@code index}. */
    public void write(long index, int[] src, int from, int n) {
        Objects.checkFromIndexSize(from, n, src.length);
        checkRange(index * Integer.BYTES, (long) n * Integer.BYTES);
        if (n > 0) {
            enqueueWrite(index * Integer.BYTES, (long) n * Integer.BYTES, Pointer.to(src).withByteOffset(from * 4L));
        }
    }

    /** Reads {@code n} floats starting at float index {@code index} into {@code dst[to]}. */
    public void read(long index, float[] dst, int to, int n) {
        Objects.checkFromIndexSize(to, n, dst.length);
        checkRange(index * Float.BYTES, (long) n * Float.BYTES);
        if (n > 0) {
            enqueueRead(index * Float.BYTES, (long) n * Float.BYTES, Pointer.to(dst).withByteOffset(to * 4L));
        }
    }

    /** Reads {@code n} ints starting at int index {@code index} into {@code dst[to]}. */
    public void read(long index, int[] dst, int to, int n) {
        Objects.checkFromIndexSize(to, n, dst.length);
        checkRange(index * Integer.BYTES, (long) n * Integer.BYTES);
        if (n > 0) {
            enqueueRead(index * Integer.BYTES, (long) n * Integer.BYTES, Pointer.to(dst).withByteOffset(to * 4L));
        }
    }

    /** Reads {@code dst.byteSize()} bytes starting at byte {@code offset} into native memory {@code dst}. */
    public void read(long offset, MemorySegment dst) {
        checkRange(offset, dst.byteSize());
        if (!dst.isNative()) {
            throw new IllegalArgumentException("reading " + what + " needs a native segment");
        }
        for (long done = 0; done < dst.byteSize(); done += SLICE) {
            long n = Math.min(SLICE, dst.byteSize() - done);
            enqueueRead(offset + done, n, Pointer.to(dst.asSlice(done, n).asByteBuffer()));
        }
    }

    /** The whole buffer as floats. */
    public float[] readFloats() {
        float[] out = new float[Math.toIntExact(bytes / Float.BYTES)];
        read(0, out, 0, out.length);
        return out;
    }

    /** Enqueues a device-side copy of {@code n} bytes from this buffer to {@code dst}. */
    public void copyTo(long srcOffset, DeviceBuffer dst, long dstOffset, long n) {
        checkRange(srcOffset, n);
        dst.checkRange(dstOffset, n);
        if (n > 0) {
            int st = CL.clEnqueueCopyBuffer(runtime.queue(), mem(), dst.mem(), srcOffset, dstOffset, n, 0, null,
                    null);
            OpenClException.check(st, "copying " + n + " bytes from " + what + " to " + dst.what());
        }
    }

    /** Enqueues filling the whole buffer with zero bytes. */
    public void fillZero() {
        // A 4-byte pattern needs a size that is a multiple of 4; fall back to 1 byte otherwise.
        int patternSize = bytes % 4 == 0 ? 4 : 1;
        Pointer pattern = patternSize == 4 ? Pointer.to(new int[] {0}) : Pointer.to(new byte[] {0});
        OpenClException.check(CL.clEnqueueFillBuffer(runtime.queue(), mem(), pattern, patternSize, 0, bytes, 0,
                null, null), "clearing " + what);
    }

    private void enqueueWrite(long offset, long n, Pointer p) {
        int st = CL.clEnqueueWriteBuffer(runtime.queue(), mem(), true, offset, n, p, 0, null, null);
        if (st == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || st == CL.CL_OUT_OF_RESOURCES) {
            // Drivers may allocate lazily, on the first write.
            throw runtime.outOfMemory(what, bytes, st);
        }
        OpenClException.check(st, "writing " + n + " bytes to " + what);
    }

    private void enqueueRead(long offset, long n, Pointer p) {
        OpenClException.check(CL.clEnqueueReadBuffer(runtime.queue(), mem(), true, offset, n, p, 0, null, null),
                "reading " + n + " bytes of " + what);
    }

    void checkRange(long offset, long n) {
        if (offset < 0 || n < 0 || offset > bytes - n) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + n
                    + ") is outside the " + bytes + "-byte device buffer for " + what);
        }
    }

    @Override
    public void close() {
        if (mem != null) {
            CL.clReleaseMemObject(mem);
            mem = null;
            runtime.released(this);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + what + ", " + bytes + " bytes]";
    }
}
