package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * Runs the products of some weight types on small zero matrices until the JIT has compiled them, before a model's
 * first forward pass. Interpreted, or compiled by C1, the Vector API is not turned into vector instructions and runs
 * hundreds of times slower; without this the first prompt did its real products at that speed while C2 compiled the
 * kernels (measured: a cold 5-token prompt of a 1B Q4_K_M model took 7–11 s, most of it in the Q6_K kernels before
 * C2 had them). Every path a forward pass takes is exercised: one token, a few tokens (four-token kernels and
 * one-token rests), a tiled prefill, and SwiGLU.
 */
final class KernelWarmUp {
    /** Rows of the sample multiplied: one packed-kernel group, few enough for a round to take microseconds. */
    private static final int ROWS = 8;
    /** Token counts: one, a tile and a rest, a tiled prefill. */
    private static final int[] TOKENS = {1, RowKernel.TILE + 1, MatMul.TILED_MIN_TOKENS};
    /** A round of compiled products of eight rows takes well under a millisecond; interpreted, tens of them. */
    private static final long COMPILED_ROUND_NANOS = 2_000_000;
    /** At most this long per type: the JIT compiles the kernels within about two seconds of a core. */
    private static final long LIMIT_NANOS = 5_000_000_000L;

    private KernelWarmUp() {}

    /**
     * Warms up {@code type}'s products on the first rows of a real weight: the same kind of segment (a file
     * mapping) as the forward pass will pass, since C2 compiles segment accesses for the kinds it has seen and
     * deoptimizes on a new one (measured: warmed up on an arena's memory instead, the first prompt got slower).
     */
    static void run(MatMul matMul, GgmlType type, MemorySegment w, int rows, int cols) {
        if (!matMul.supports(type)) {
            return;
        }
        int n = Math.min(rows, ROWS);
        float[] x = new float[cols * MatMul.TILED_MIN_TOKENS];
        float[] out = new float[n * MatMul.TILED_MIN_TOKENS];
        long start = System.nanoTime();
        while (!Thread.currentThread().isInterrupted() && System.nanoTime() - start < LIMIT_NANOS) {
            long round = System.nanoTime();
            for (int tokens : TOKENS) {
                matMul.multiply(type, w, 0, n, cols, x, 0, tokens, out, 0);
                matMul.multiplySwiGlu(type, w, 0, type, w, 0, n, cols, x, 0, tokens, out, 0);
            }
            if (System.nanoTime() - round < COMPILED_ROUND_NANOS) {
                return;
            }
        }
    }
}
