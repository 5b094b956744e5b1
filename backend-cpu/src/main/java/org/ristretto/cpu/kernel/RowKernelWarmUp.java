package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * Has the JIT compile a file-layout kernel ({@link RowKernel}) before its first real product, as
 * {@link PackedKernel#warmUp} does for the packed ones: its one-token calls (rows side by side, where it has them,
 * and one row) and four-token calls over the first 256 columns of a few rows of a real matrix of that type (of the
 * file's mapping: code compiled against another kind of segment deoptimizes at the first real call), in batches,
 * until a batch runs at compiled speed. Interpreted or from C1 the Vector API is about a
 * thousand times slower, and a real product's calls are few and long, so the JIT reached them late: with
 * {@code --no-repack}, a Q4_K_M 1B model's cold 5-token prompt took 8.4–12.6 s on the 2-core Zen 5, most of it in
 * the Vector API's Java fallbacks.
 */
final class RowKernelWarmUp {
    private static final int COLS = 256;
    private static final int WARM_UP_BATCH = 250;
    /** At most 40 000 calls of each kind. */
    private static final int WARM_UP_BATCHES = 160;
    /** Compiled, a call over 256 columns takes well under a microsecond; interpreted or from C1, tens to thousands. */
    private static final long COMPILED_NANOS_PER_CALL = 3_000;

    private RowKernelWarmUp() {}

    /**
     * Runs {@code kernel}, the file-layout kernel of {@code type}, over the first columns of {@code w}'s first rows
     * ({@code rows × cols} of that type from byte 0) until compiled; stops early when interrupted. Matrices of fewer
     * rows than the kernel reads at once are left alone.
     */
    static void run(GgmlType type, RowKernel kernel, MemorySegment w, int rows, int cols) {
        int side = Math.max(kernel.rowsAtOnce(), 1);
        if (rows < side) {
            return;
        }
        int n = Math.min(cols, COLS);
        long rowBytes = type.byteSize(cols);
        Activations one = activations(kernel, n, 1);
        Activations tile = activations(kernel, n, RowKernel.TILE);
        float[] res = new float[Math.max(side, RowKernel.TILE)];
        for (int batch = 0; batch < WARM_UP_BATCHES && !Thread.currentThread().isInterrupted(); batch++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < WARM_UP_BATCH; i++) {
                if (side > 1) {
                    kernel.dotRows(w, 0, rowBytes, n, one, res);
                }
                kernel.dot(w, 0, n, one, 0, 1, res);
                kernel.dot(w, 0, n, tile, 0, RowKernel.TILE, res);
            }
            if (System.nanoTime() - t0 < 3 * WARM_UP_BATCH * COMPILED_NANOS_PER_CALL) {
                return;
            }
        }
    }

    /** {@code nTokens} zero tokens of {@code cols} columns, prepared as {@code kernel} reads them. */
    private static Activations activations(RowKernel kernel, int cols, int nTokens) {
        Activations a = new Activations();
        a.begin(kernel.activation(), new float[cols * nTokens], 0, cols, nTokens);
        if (kernel.activation() != ActivationFormat.F32) {
            for (int t = 0; t < nTokens; t++) {
                a.quantize(t);
            }
        }
        return a;
    }
}
