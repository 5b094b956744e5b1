package org.ristretto.opencl;

/**
 * A byte range of a {@link DeviceBuffer}: what a kernel argument points at. Kernels receive the buffer and the offset
 * separately, so a slice may start anywhere a whole row or block starts (no sub-buffer alignment rules apply).
 *
 * @param buffer the buffer
 * @param offset first byte
 * @param bytes  length in bytes
 */
public record DeviceSlice(DeviceBuffer buffer, long offset, long bytes) {

    public DeviceSlice {
        buffer.checkRange(offset, bytes);
    }

    /** The whole of {@code buffer}. */
    public static DeviceSlice of(DeviceBuffer buffer) {
        return new DeviceSlice(buffer, 0, buffer.bytes());
    }

    /** The {@code bytes} bytes of this slice starting {@code offset} bytes into it. */
    public DeviceSlice slice(long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > this.bytes - bytes) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + bytes + ") is outside a "
                    + this.bytes + "-byte slice of " + buffer.what());
        }
        return new DeviceSlice(buffer, this.offset + offset, bytes);
    }

    /** What the underlying buffer holds, for messages. */
    public String what() {
        return buffer.what();
    }
}
