package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The dot products of one weight row with a few activation rows: the innermost step of {@link MatMul}.
 *
 * <p>A kernel reads its row once and multiplies it with up to {@link #TILE} tokens, so a prefill reads each weight
 * byte from memory once per tile of tokens rather than once per token. Implementations are stateless, so one
 * instance serves every worker.
 */
interface RowKernel {
    /** The most tokens one call multiplies. */
    int TILE = 4;

    /** The form the activations must be prepared in before {@link #dot} runs. */
    ActivationFormat activation();

    /**
     * Sets {@code res[i]} to the dot product of the {@code cols}-element row at byte {@code rowOffset} of {@code w}
     * with token {@code t0 + i} of {@code x}, for {@code i < nT}, where {@code 1 <= nT <= TILE}.
     */
    void dot(MemorySegment w, long rowOffset, int cols, Activations x, int t0, int nT, float[] res);

    /** Rows one {@link #dotRows} call multiplies with one token: 1 where the kernel has no such method. */
    default int rowsAtOnce() {
        return 1;
    }

    /**
     * Sets {@code res[i]} to the dot product of token 0 of {@code x} with the {@code cols}-element row at byte
     * {@code rowOffset + i·stride} of {@code w}, for {@code i < rowsAtOnce()}. The caller passes rows far apart, so
     * that the kernel reads {@code rowsAtOnce()} sequential streams at once: the hardware prefetchers then keep more
     * of a matrix×vector product's weights in flight than with one row at a time.
     */
    default void dotRows(MemorySegment w, long rowOffset, long stride, int cols, Activations x, float[] res) {
        dot(w, rowOffset, cols, x, 0, 1, res);
    }
}
