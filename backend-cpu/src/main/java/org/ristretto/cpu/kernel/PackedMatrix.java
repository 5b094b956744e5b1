package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * A weight matrix together with a copy of its rows in a kernel's packed layout ({@link MatMul#pack}).
 *
 * <p>Products of up to {@link MatMul#packedMaxTokens} tokens read the packed copy, group by group; longer batches
 * read the original blocks, which the matrix keeps referring to. Rows past the last whole group
 * ({@link PackedKernel#rows()}) stay in the original only.
 */
public final class PackedMatrix {
    final MemorySegment original;
    final long originalOffset;
    final int rows;
    final int cols;
    final PackedKernel kernel;
    final MemorySegment packed;

    PackedMatrix(MemorySegment original, long originalOffset, int rows, int cols, PackedKernel kernel,
            MemorySegment packed) {
        this.original = original;
        this.originalOffset = originalOffset;
        this.rows = rows;
        this.cols = cols;
        this.kernel = kernel;
        this.packed = packed;
    }

    /** The packed copy's bytes: whole groups of rows in the kernel's layout ({@link MatMul#packedFrom}). */
    public MemorySegment packedCopy() {
        return packed;
    }

    /** The weights' type, the one its kernel packs. */
    GgmlType type() {
        return kernel.type();
    }

    /** Whole groups of rows in the packed copy. */
    int groups() {
        return rows / kernel.rows();
    }
}
