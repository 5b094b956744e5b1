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
}
