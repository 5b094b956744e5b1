package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.QuantFormat;

/**
 * Any type with a scalar reference format: the row is dequantized into floats, then multiplied in float. Exact up
 * to float rounding, and slow; used for the types that have no integer kernel yet.
 */
final class DequantizingKernel implements RowKernel {
    private final Lanes lanes;
    private final QuantFormat format;

    DequantizingKernel(Lanes lanes, QuantFormat format) {
        this.lanes = lanes;
        this.format = format;
    }

    @Override
    public ActivationFormat activation() {
        return ActivationFormat.F32;
    }

    @Override
    public void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res,
            WorkerScratch scratch) {
        float[] row = scratch.row(cols);
        format.dequantize(w, rowOffset, row, 0, cols);
        FloatKernels.dotRow(lanes, row, cols, x, t0, nT, res);
    }
}
