package org.ristretto.opencl;

import org.ristretto.core.backend.AbstractTensor;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;

/**
 * A tensor of the OpenCL backend: a slice of a device buffer holding {@code rows} rows of {@code columns} values of
 * {@code type} (raw GGUF blocks for weights, floats for activations). A view shares its parent's buffer and owns
 * nothing.
 */
final class OpenClTensor extends AbstractTensor {
    private final DeviceSlice slice;
    private final DeviceBuffer owned;

    OpenClTensor(String name, GgmlType type, int columns, int rows, OpenClBackend backend, DeviceSlice slice,
            DeviceBuffer owned) {
        super(name, type, columns, rows, backend);
        this.slice = slice;
        this.owned = owned;
    }






    /** Where the tensor's bytes are on the device. */
    DeviceSlice slice() {
        return slice;
    }

    /** Bytes of one row. */
    long rowBytes() {
        return type().byteSize(columns());
    }

    /** The buffer this tensor owns and frees, or null for a view. */
    DeviceBuffer owned() {
        return owned;
    }

    /** The rows [first, first + count) as a view. */
    OpenClTensor rows(int first, int count) {
        return new OpenClTensor(name() + "[" + first + "+" + count + "]", type(), columns(), count,
                (OpenClBackend) backend(),
                slice.slice(first * rowBytes(), count * rowBytes()), null);
    }

}
