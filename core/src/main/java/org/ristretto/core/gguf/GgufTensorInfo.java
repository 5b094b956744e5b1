package org.ristretto.core.gguf;

import java.util.Arrays;
import org.ristretto.core.quant.GgmlType;

/**
 * One tensor's header entry. Dimensions are in ggml order: {@code dims[0]} is the length of a row (the fastest
 * varying index), so a weight matrix of {@code n} output rows of {@code k} inputs has {@code dims = {k, n}}.
 *
 * @param name   the tensor name
 * @param dims   the dimensions, 1 to 4 of them, fastest first
 * @param type   the element type
 * @param offset the byte offset of the data, relative to the start of the data section
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public GgufTensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The size of dimension {@code i}, 1 beyond the stored dimensions. */
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** The number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** The total number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The length of one row ({@code dims[0]}). */
    public long rowLength() {
        return dims[0];
    }

    /** The number of rows: all dimensions but the first, multiplied. */
    public long rowCount() {
        return elementCount() / Math.max(1, dims[0]);
    }

    /** Bytes of data this tensor takes. */
    public long byteSize() {
        return type.byteSize(elementCount());
    }

    /** The shape written as {@code [k, n]}. */
    public String shapeString() {
        return Arrays.toString(dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && Arrays.equals(t.dims, dims)
                && t.type == type && t.offset == offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + shapeString() + " @" + offset;
    }
}
