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

    private JitWarmUp() {}

    /**
     * Runs {@code repeat}, which makes {@code callsPerRepeat} kernel calls, in batches until a batch runs at compiled
     * speed, at most {@link #BATCHES} batches; stops early when the thread is interrupted.
     */
    static void untilCompiled(int callsPerRepeat, Runnable repeat) {
        for (int batch = 0; batch < BATCHES && !Thread.currentThread().isInterrupted(); batch++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < BATCH; i++) {
                repeat.run();
            }
            if (System.nanoTime() - t0 < (long) BATCH * callsPerRepeat * COMPILED_NANOS_PER_CALL) {
                return;
            }
        }
    }
}
