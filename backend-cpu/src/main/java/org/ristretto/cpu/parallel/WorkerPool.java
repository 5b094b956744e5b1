package org.ristretto.cpu.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split one operation's chunks between them, created once per backend.
 *
 * <p>{@link #run} hands out chunk indices from a shared counter, so uneven chunks balance themselves; the calling
 * thread works as worker 0, so a pool of {@code n} threads starts {@code n - 1}. Between operations the workers spin
 * briefly (a forward pass issues operations back to back, and waking a parked thread costs tens of microseconds),
 * then park. Nothing is allocated per operation.
 */
public final class WorkerPool implements AutoCloseable {

    /** One chunk of an operation; {@code worker} in {@code [0, threads)} indexes per-worker scratch memory. */
    @FunctionalInterface
    public interface Task {
        void run(int chunk, int worker);
    }

    /** Spin iterations before a waiting worker parks; roughly 20-50 µs on current cores. */
    private static final int SPINS_BEFORE_PARK = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private volatile Task task;
    private volatile int chunkCount;
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;

    /** Starts {@code threads - 1} daemon workers named "ristretto-cpu-N". */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("ristretto-cpu-" + id).start(() -> workLoop(id));
        }
    }

    /** The number of threads that share work, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} for every chunk in {@code [0, chunks)} across the pool and returns when all are done. A
     * failure in any chunk is rethrown here after the others finish. Not reentrant: call from one thread at a time.
     */
    public void run(int chunks, Task task) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (threads == 1 || chunks <= 1) {
            for (int c = 0; c < chunks; c++) {
                task.run(c, 0);
            }
            return;
        }
        this.task = task;
        this.chunkCount = chunks;
        this.failure = null;
        nextChunk.set(0);
        busyWorkers.set(workers.length);
        generation++; // the volatile write publishes the task to the workers
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        work(0);
        int spins = 0;
        while (busyWorkers.get() != 0) {
            if (++spins < SPINS_BEFORE_PARK) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.task = null;
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /** Splits {@code [0, n)} into at most {@code threads × 4} contiguous ranges and runs them across the pool. */
    public void forRange(int n, int minChunk, RangeTask task) {
        int chunk = Math.max(minChunk, (n + threads * 4 - 1) / (threads * 4));
        int chunks = (n + chunk - 1) / chunk;
        int size = chunk;
        run(chunks, (c, w) -> task.run(c * size, Math.min(n, (c + 1) * size), w));
    }

    /** A range {@code [from, to)} of some index space, run by {@code worker}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to, int worker);
    }

    private void work(int worker) {
        Task t = task;
        int n = chunkCount;
        try {
            for (int c = nextChunk.getAndIncrement(); c < n; c = nextChunk.getAndIncrement()) {
                t.run(c, worker);
            }
        } catch (Throwable e) {
            failure = e;
            nextChunk.set(n); // the others stop taking chunks
        }
    }

    private void workLoop(int id) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            work(id);
            busyWorkers.decrementAndGet();
        }
    }

    /** Stops the workers and waits for them to exit. */
    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
