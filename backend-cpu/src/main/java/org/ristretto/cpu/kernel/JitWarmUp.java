package org.ristretto.cpu.kernel;

/**
 * Runs kernel calls until the JIT has compiled them, for the warm-ups of the packed ({@link PackedKernel#warmUp}) and
 * file-layout ({@link RowKernelWarmUp}) kernels: interpreted or from C1 the Vector API is about a thousand times
 * slower, so the first real products would otherwise run there.
 */
final class JitWarmUp {
    /** Repeats per timed batch. */
    private static final int BATCH = 250;
    /** At most 40 000 repeats: the JIT compiles within about 6 000. */
    private static final int BATCHES = 160;
    /** Compiled, a warm-up call takes about a microsecond or less; interpreted or from C1, tens to thousands. */
    private static final long COMPILED_NANOS_PER_CALL = 3_000;
    /**
     * At most 2.5 s: a cold start's warm-ups end within about 1.5 s on two cores, but code that never reaches compiled
     * speed (a JVM whose JIT compiled the Vector API for other vector shapes too, as the kernel tests do, or one
     * without C2) would otherwise spend all 40 000 repeats, 4-10 s per kernel, before the first product.
     */
    private static final long MAX_NANOS = 2_500_000_000L;

    private JitWarmUp() {}

    /**
     * {@code n} activations for a warm-up to run kernels on, like a real layer's: not zeros (the quantizer skips a
     * zero block's vector loop) and not periodic (with the largest value in a block's first vector, its search for
     * that value never looped): code compiled without those paths met an uncommon trap at the first real product and
     * went back to the interpreter until C2 compiled it again (JFR {@code jdk.Deoptimization} in cold Q4_K_M prompts:
     * {@code ActivationQuantizer.q8_K}, {@code unstable_if}).
     */
    static float[] activations(int n) {
        float[] values = new float[n];
        int state = 0x2545F491;
        for (int i = 0; i < n; i++) {
            state = state * 1103515245 + 12345;
            values[i] = ((state >>> 8) % 2001 - 1000) / 250f;
        }
        return values;
    }

    /**
     * Runs {@code repeat}, which makes {@code callsPerRepeat} kernel calls, in batches until a batch runs at compiled
     * speed, at most {@link #BATCHES} batches or {@link #MAX_NANOS}; stops early when the thread is interrupted.
     */
    static void untilCompiled(int callsPerRepeat, Runnable repeat) {
        long deadline = System.nanoTime() + MAX_NANOS;
        for (int batch = 0; batch < BATCHES && !Thread.currentThread().isInterrupted(); batch++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < BATCH; i++) {
                repeat.run();
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
            }
            if (System.nanoTime() - t0 < (long) BATCH * callsPerRepeat * COMPILED_NANOS_PER_CALL) {
                return;
            }
        }
    }
}
