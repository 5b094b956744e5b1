package org.ristretto.cpu;

import org.ristretto.core.backend.Backend;
import org.ristretto.core.quant.GgmlType;

/**
 * An F32 activation matrix of the CPU backend: {@code rows × columns} floats of a heap array from {@code offset},
 * row-major. Views share the array of the tensor they were made from.
 */
final class CpuActivation implements CpuTensor {
    private final String name;
    private final int columns;
    private final int rows;
    private final float[] data;
    private final int offset;
    private final Backend backend;

    CpuActivation(String name, int columns, int rows, float[] data, int offset, Backend backend) {
        this.name = name;
        this.columns = columns;
        this.rows = rows;
        this.data = data;
        this.offset = offset;
        this.backend = backend;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public int columns() {
        return columns;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public Backend backend() {
        return backend;
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
        return offset + row * columns;
    }

    @Override
    public String toString() {
        return name + " (f32 " + rows + "x" + columns + ")";
    }
}
