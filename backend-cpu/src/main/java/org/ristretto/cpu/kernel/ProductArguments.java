package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/** The checks of {@link MatMul}'s arguments, each failure an {@link IllegalArgumentException} that names the shape. */
final class ProductArguments {
    private ProductArguments() {}

    /**
     * Checks a {@code rows × cols} matrix of {@code type} at byte {@code offset} of {@code w}, {@code what} naming it
     * in a failure, and returns the bytes of one of its rows.
     */
    static long checkWeights(String what, GgmlType type, MemorySegment w, long offset, int rows, int cols) {
        if (rows < 1 || cols < 1 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(what + ": a " + rows + "×" + cols + " matrix of " + type.ggmlName()
                    + " needs rows >= 1 and a row length that is a positive multiple of " + type.blockSize());
        }
        long rowBytes = type.byteSize(cols);
        long bytes = rowBytes * rows;
        if (offset < 0 || offset > w.byteSize() - bytes) {
            throw new IllegalArgumentException(what + ": " + rows + "×" + cols + " " + type.ggmlName() + " takes "
                    + bytes + " bytes from offset " + offset + ", past the end of a segment of " + w.byteSize());
        }
        return rowBytes;
    }

    /**
     * Checks that {@code nTokens} tokens of {@code cols} floats from {@code x[xOffset]} and their products,
     * {@code rows} floats each from {@code out[outOffset]}, fit their arrays.
     */
    static void checkActivations(int cols, float[] x, int xOffset, int nTokens, float[] out, int outOffset,
            int rows) {
        if (nTokens < 1) {
            throw new IllegalArgumentException("nTokens must be >= 1, got " + nTokens);
        }
        long xLen = (long) cols * nTokens;
        if (xOffset < 0 || xOffset > x.length - xLen) {
            throw new IllegalArgumentException("activations: " + nTokens + " tokens of " + cols + " floats from "
                    + xOffset + " do not fit an array of " + x.length);
        }
        long outLen = (long) rows * nTokens;
        if (outOffset < 0 || outOffset > out.length - outLen) {
            throw new IllegalArgumentException("output: " + nTokens + " tokens of " + rows + " floats from "
                    + outOffset + " do not fit an array of " + out.length);
        }
    }

    /**
     * Checks {@link MatMul#multiplyMany}'s range and arrays: at least one matrix in {@code [from, to)}, an output and
     * offset for each, all of one type and row length.
     */
    static void checkMany(PackedMatrix[] ms, int from, int to, float[][] outs, int[] outOffsets) {
        if (from < 0 || from >= to || to > ms.length || to > outs.length || to > outOffsets.length) {
            throw new IllegalArgumentException("multiplyMany needs one output and offset per matrix, at least one: "
                    + "matrices [" + from + ", " + to + ") of " + ms.length + ", " + outs.length + " outputs, "
                    + outOffsets.length + " offsets");
        }
        for (int i = from; i < to; i++) {
            PackedMatrix m = ms[i];
            if (m.cols != ms[from].cols || m.type() != ms[from].type()) {
                throw new IllegalArgumentException("multiplyMany needs matrices of one type and row length: "
                        + ms[from].type().ggmlName() + " of " + ms[from].cols + " columns and " + m.type().ggmlName()
                        + " of " + m.cols);
            }
        }
    }
}
