package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * A weight matrix together with a copy of its rows in a kernel's packed layout ({@link MatMul#pack}).
 *
 * <p>Matrix×vector products read the packed copy; products of several tokens read the original blocks, which the
 * matrix keeps referring to. Rows past the last whole group of {@value PackedKernel#ROWS} stay in the original only.
 */
public final class PackedMatrix {
    final GgmlType type;
    final MemorySegment original;
    final long originalOffset;
    final int rows;
    final int cols;
    final PackedKernel kernel;
    final MemorySegment packed;

    PackedMatrix(GgmlType type, MemorySegment original, long originalOffset, int rows, int cols,
            PackedKernel kernel, MemorySegment packed) {
        this.type = type;
        this.original = original;
        this.originalOffset = originalOffset;
        this.rows = rows;
        this.cols = cols;
        this.kernel = kernel;
        this.packed = packed;
    }

    /** Whole groups of rows in the packed copy. */
    int groups() {
        return rows / PackedKernel.ROWS;
    }

    /** Bytes of the packed copy. */
    public long packedBytes() {
        return packed.byteSize();
    }
}
