package org.ristretto.cpu;

import org.ristretto.core.backend.AbstractTensor;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.quant.GgmlType;

/**
 * An F32 activation matrix of the CPU backend: {@code rows × columns} floats of a heap array from {@code offset},
 * row-major. Views share the array of the tensor they were made from.
 */
final class CpuActivation extends AbstractTensor implements CpuTensor {
    private final float[] data;
    private final int offset;

    CpuActivation(String name, int columns, int rows, float[] data, int offset, Backend backend) {
        super(name, GgmlType.F32, columns, rows, backend);
        this.data = data;
        this.offset = offset;
    }






    /** The backing array. */
    float[] data() {
        return data;
    }

    /** Index of element (0, 0) in {@link #data()}. */
    int offset() {
        return offset;
    }

    /** Index of the first element of {@code row} in {@link #data()}. */
    int rowOffset(int row) {
        return offset + row * columns();
    }

}
