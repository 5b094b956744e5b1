package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * Has the JIT compile a file-layout kernel ({@link RowKernel}) before its first real product, as
 * {@link PackedKernel#warmUp} does for the packed ones: its one-token calls (rows side by side, where it has them,
 * and one row) and four-token calls over the first 256 columns of a few rows of a real matrix of that type (of the
 * file's mapping: code compiled against another kind of segment deoptimizes at the first real call), until they run
 * at compiled speed ({@link JitWarmUp}). A real product's calls are few and long, so the JIT reached them late: with
 * {@code --no-repack}, a Q4_K_M 1B model's cold 5-token prompt took 8.4–12.6 s on the 2-core Zen 5, most of it in
 * the Vector API's Java fallbacks.
 */
final class RowKernelWarmUp {
    private static final int COLS = 256;

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
        JitWarmUp.untilCompiled(side > 1 ? 3 : 2, () -> {
            if (side > 1) {
                kernel.dotRows(w, 0, rowBytes, n, one, res);
            }
            kernel.dot(w, 0, n, one, 0, 1, res);
            kernel.dot(w, 0, n, tile, 0, RowKernel.TILE, res);
        });
    }

    /**
     * {@code nTokens} tokens of {@code cols} columns ({@link JitWarmUp#activations}), prepared as {@code kernel}
     * reads them.
     */
    private static Activations activations(RowKernel kernel, int cols, int nTokens) {
        Activations a = new Activations();
        a.begin(kernel.activation(), JitWarmUp.activations(cols * nTokens), 0, cols, nTokens);
        if (kernel.activation() != ActivationFormat.F32) {
            for (int t = 0; t < nTokens; t++) {
                a.quantize(t);
            }
        }
        return a;
    }
}
