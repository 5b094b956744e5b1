package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A matrix×vector kernel that reads weights rearranged once, at first use, into groups of {@link #ROWS} rows.
 *
 * <p>In the file's layout every row is a separate stream of blocks, and a matrix×vector product spends most of its
 * instructions per block and per row on scalar work: converting the block's fp16 scale, broadcasting it, reducing
 * the row's vector accumulator at the end. Interleaving eight rows block by block lets one 256-bit vector hold a
 * value of each of the eight rows: their scales load as one vector, their quants unpack with the same few
 * instructions, and the eight sums come out in the lanes of one float vector, with no horizontal reduction. The
 * activations are broadcast instead, one pair of 16-bit quants per 32-bit lane ({@link #pairs}), so that the pair's
 * two products in a lane belong to the same row and widen to 32 bits with one shift and add.
 *
 * <p>This is the same idea as ggml's "repacked" CPU buffers (its {@code Q4_0x8} layout for AVX2); the layouts here
 * are our own, chosen so that a Vector API kernel unpacks them cheaply. Kernels work at 256 bits whatever the
 * preferred width: they need eight float lanes, and 512-bit machines run 256-bit vectors at full speed.
 */
abstract class PackedKernel {
    /** Rows per interleaved group. */
    static final int ROWS = 8;

    /** The form the activations are quantized to before {@link #pairs}. */
    abstract ActivationFormat activation();

    /** Bytes of one packed group of {@link #ROWS} rows of {@code cols} elements. */
    abstract long groupBytes(int cols);

    /**
     * Packs {@link #ROWS} rows of {@code cols} elements in the file's block layout, the first at byte {@code src}
     * of {@code w} and each {@code rowBytes} after the previous, into the group at byte {@code dst} of {@code out}.
     */
    abstract void pack(MemorySegment w, long src, long rowBytes, int cols, MemorySegment out, long dst);

    /**
     * Fills {@code x.pairs} from token 0 of the quantized activations: the 32-bit lanes this kernel broadcasts,
     * in the order it reads them.
     */
    abstract void pairs(Activations x);

    /** {@code out[o + i]} = row {@code i} of the group at byte {@code group} of {@code w} times token 0 of {@code x}. */
    abstract void dot8(MemorySegment w, long group, int cols, Activations x, float[] out, int o);

    /** Two 16-bit quants as the 32-bit lane that holds {@code lo} in its lower half. */
    static int pair(short lo, short hi) {
        return (lo & 0xffff) | (hi << 16);
    }
}
