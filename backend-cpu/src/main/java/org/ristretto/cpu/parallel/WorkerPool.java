package org.ristretto.cpu.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split one operation's chunks between them, created once per backend.
 *
 * <p>{@link #run} hands out chunk indices from a shared counter, so uneven chunks balance themselves; the calling
 * thread works as worker 0, so a pool of {@code n} threads starts {@code n - 1}. The caller waits for the chunks, not
 * for the workers: a worker the OS has not scheduled yet simply finds nothing left to take, so a busy machine slows an
 * operation down but never makes it wait on a sleeping thread. Between operations the workers spin for a few tens of
 * microseconds (a forward pass issues operations back to back, and waking a parked thread costs about as much), then
 * park. An operation allocates nothing: its state lives in this pool's fields and counters, reused by the next one.
 */
public final class WorkerPool implements AutoCloseable {

    /** One chunk of an operation; {@code worker} in {@code [0, threads)} indexes per-worker scratch memory. */
    @FunctionalInterface
    public interface Task {
        void run(int chunk, int worker);
    }

    /** A range {@code [from, to)} of some index space, run by {@code worker}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to, int worker);
    }

    /** How long an idle worker spins before parking. */
    private static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    private volatile boolean closed;

    // The operation in progress. The caller writes task and resets the counters, then publishes the operation by
    // setting claims and bumping generation (volatile). A chunk is claimed by a compare-and-set of claims, and its
    // task is read only after that succeeds: the caller starts no new operation before every claimed chunk is done,
    // so a worker that claims a chunk always runs it with the task of the operation it belongs to, however late it
    // woke up. No per-operation record is allocated.
    private Task task;
    /** The operation's chunk count in the upper 32 bits, the next chunk to hand out in the lower 32. */
    private final AtomicLong claims = new AtomicLong();
    /** Chunks finished (or failed) in the operation in progress. */
    private final AtomicInteger done = new AtomicInteger();
    /** Changes with every operation, so that idle workers notice a new one. */
    private volatile int generation;
    /** The first failure of the operation in progress; set after {@link #claimedAtFailure}. */
    private volatile Throwable failure;
    /** How many chunks had been claimed when the first failure stopped the handing out. */
    private int claimedAtFailure;

    // forRange's operation, read by rangeTask's chunks.
    private RangeTask rangeTask;
    private int rangeSize;
    private int rangeChunk;
    private final Task rangeChunks = this::rangeChunk;

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
     * failure in any chunk is rethrown here once no chunk is running any more. Not reentrant: call from one thread at
     * a time.
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
        failure = null;
        done.set(0);
        claims.set((long) chunks << 32);
        generation++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        work(0);
        int spins = 0;
        while (!finished(chunks)) {
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.task = null;
        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /** Splits {@code [0, n)} into at most {@code threads × 4} contiguous ranges of at least {@code minChunk}. */
    public void forRange(int n, int minChunk, RangeTask task) {
        int chunk = Math.max(Math.max(1, minChunk), (n + threads * 4 - 1) / (threads * 4));
        int chunks = (n + chunk - 1) / chunk;
        if (threads == 1 || chunks <= 1) {
            if (n > 0) {
                task.run(0, n, 0);
            }
            return;
        }
        rangeTask = task;
        rangeSize = n;
        rangeChunk = chunk;
        try {
            run(chunks, rangeChunks);
        } finally {
            rangeTask = null;
        }
    }

    private void rangeChunk(int c, int worker) {
        rangeTask.run(c * rangeChunk, Math.min(rangeSize, (c + 1) * rangeChunk), worker);
    }

    /** Claims and runs chunks of the operation in progress until none is left to claim. */
    private void work(int worker) {
        for (long v = claims.get(); ; v = claims.get()) {
            int chunk = (int) v;
            if (chunk >= (int) (v >>> 32)) {
                return;
            }
            if (!claims.compareAndSet(v, v + 1)) {
                continue;
            }
            try {
                task.run(chunk, worker);
            } catch (Throwable e) {
                stopAfter(e);
            } finally {
                done.incrementAndGet();
            }
        }
    }

    /**
     * Stops handing out chunks after a failure (the claim counter jumps to the end) and records the first failure, with
     * how many chunks were claimed by then, so that the caller waits for exactly those. Failures are rare, so the
     * first-wins rule takes a lock.
     */
    private void stopAfter(Throwable e) {
        synchronized (claims) {
            if (failure != null) {
                return;
            }
            long v = claims.get();
            while (!claims.compareAndSet(v, (v & ~0xffff_ffffL) | (v >>> 32))) {
                v = claims.get();
            }
            claimedAtFailure = (int) v;
            failure = e;
        }
    }

    private boolean finished(int chunks) {
        int finished = done.get();
        if (finished == chunks) {
            return true;
        }
        return failure != null && finished == claimedAtFailure;
    }

    private void workLoop(int id) {
        int seen = generation;
        while (!closed) {
            int now = generation;
            if (now != seen) {
                seen = now;
                work(id);
                continue;
            }
            long idleSince = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
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
