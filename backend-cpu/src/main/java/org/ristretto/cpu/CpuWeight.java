package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/**
 * A weight matrix of the CPU backend: a slice of the model file's mapping in its GGUF block type, read in place.
 * One-row weights (norms, biases, RoPE factors) are also kept dequantized as floats, since element-wise ops read them
 * once per row of every batch.
 */
final class CpuWeight implements CpuTensor {
    private final String name;
    private final GgmlType type;
    private final int columns;
    private final int rows;
    private final MemorySegment data;
    private final long rowBytes;
    private final float[] values;
    private final Backend backend;

    CpuWeight(String name, GgmlType type, int columns, int rows, MemorySegment data, Backend backend) {
        this.name = name;
        this.type = type;
        this.columns = columns;
        this.rows = rows;
        this.data = data;
        this.rowBytes = type.byteSize(columns);
        this.backend = backend;
        if (rows == 1) {
            values = new float[columns];
            QuantFormats.of(type).dequantize(data, 0, values, 0, columns);
        } else {
            values = null;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public GgmlType type() {
        return type;
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

    /** The blocks, row after row. */
    MemorySegment data() {
        return data;
    }

    /** Bytes per row. */
    long rowBytes() {
        return rowBytes;
    }

    /** The single row as floats, or null for a matrix. */
    float[] values() {
        return values;
    }

    @Override
    public String toString() {
        return name + " (" + type.ggmlName() + " " + rows + "x" + columns + ")";
    }
}
