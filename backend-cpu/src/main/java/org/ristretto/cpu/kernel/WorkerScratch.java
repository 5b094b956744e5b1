package org.ristretto.cpu.kernel;

/**
 * Memory one worker thread reuses across calls, allocated once per worker.
 *
 * <p>Each worker owns its instance. The small arrays that are written for every row end in {@link #PAD} unused
 * floats, so the hot start of one worker's array never shares a cache line with another worker's.
 */
final class WorkerScratch {
    /** Unused floats after the live part of a small per-worker array: one cache line. */
    static final int PAD = 16;

    /** Dot products of one tile, token {@code i} of the tile at index {@code i}. */
    final float[] res = new float[RowKernel.TILE + PAD];
    /** The up projection's products in {@link MatMul#multiplySwiGlu}. */
    final float[] res2 = new float[RowKernel.TILE + PAD];
    /** The rows of one group and their packed form, while {@link MatMul#pack} runs. */
    final byte[][] packing = {new byte[0], new byte[0]};
}
