package org.ristretto.cpu;

import org.ristretto.core.backend.AbstractTensor;
import java.lang.foreign.MemorySegment;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.PackedMatrix;

/**
 * A weight matrix of the CPU backend: a slice of the model file's mapping in its GGUF block type, read in place.
 * One-row weights (norms, biases, RoPE factors) are also kept dequantized as floats, since element-wise ops read them
 * once per row of every batch.
 */
final class CpuWeight extends AbstractTensor implements CpuTensor {
    private final MemorySegment data;
    private final long rowBytes;
    private final float[] values;
    private PackedMatrix packed;
    private boolean packTried;
    private boolean hadOneTokenProduct;

    CpuWeight(String name, GgmlType type, int columns, int rows, MemorySegment data, Backend backend) {
        super(name, type, columns, rows, backend);
        this.data = data;
        this.rowBytes = type.byteSize(columns);
        if (rows == 1) {
            values = new float[columns];
            QuantFormats.of(type).dequantize(data, 0, values, 0, columns);
        } else {
            values = null;
        }
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

    /** Whether {@link #packed} has been decided. */
    boolean packTried() {
        return packTried;
    }

    /**
     * The packed copy for products of a few tokens ({@link org.ristretto.cpu.kernel.MatMul#packedMaxTokens}), or
     * null where there is none.
     */
    PackedMatrix packed() {
        return packed;
    }

    /** Notes a product of this matrix with one token; returns whether it had one before. */
    boolean noteOneTokenProduct() {
        boolean before = hadOneTokenProduct;
        hadOneTokenProduct = true;
        return before;
    }

    void setPacked(PackedMatrix packed) {
        this.packed = packed;
        this.packTried = true;
    }

}
