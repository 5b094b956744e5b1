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

    /** Checks {@link MatMul#multiplyMany}'s arrays: an output and offset per matrix, all of one type and row length. */
    static void checkMany(PackedMatrix[] ms, float[][] outs, int[] outOffsets) {
        if (ms.length == 0 || outs.length != ms.length || outOffsets.length != ms.length) {
            throw new IllegalArgumentException("multiplyMany needs one output and offset per matrix, at least one: "
                    + ms.length + " matrices, " + outs.length + " outputs, " + outOffsets.length + " offsets");
        }
        for (PackedMatrix m : ms) {
            if (m.cols != ms[0].cols || m.type() != ms[0].type()) {
                throw new IllegalArgumentException("multiplyMany needs matrices of one type and row length: "
                        + ms[0].type().ggmlName() + " of " + ms[0].cols + " columns and " + m.type().ggmlName()
                        + " of " + m.cols);
            }
        }
    }
}
