package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The common shape of the integer kernels: one token at a time ({@link #dot1}, the matrix×vector case) or a full
 * tile of {@link RowKernel#TILE} tokens that shares every weight load and unpacking ({@link #dot4}).
 */
abstract class QuantKernel implements RowKernel {
    final Lanes lanes;

    QuantKernel(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public final void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res) {
        if (nT == TILE) {
            dot4(w, rowOffset, cols, x, t0 * cols, res);
        } else {
            for (int t = 0; t < nT; t++) {
                res[t] = dot1(w, rowOffset, cols, x, (t0 + t) * cols);
            }
        }
    }

    /** The row at byte {@code row} of {@code w} times the activation quants from element {@code xo}. */
    abstract float dot1(MemorySegment w, long row, int cols, Activations x, int xo);

    /**
     * {@code res[t]} = the row times the activation quants from element {@code xo + t·cols}, for {@code t < 4}.
     */
    abstract void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res);
}
