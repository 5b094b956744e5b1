package org.ristretto.cpu.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split one operation's chunks between them, created once per backend.
 *
 * <p>{@link #run} hands out chunk indices from a shared counter, so uneven chunks balance themselves; the calling
 * thread works as worker 0, so a pool of {@code n} threads starts {@code n - 1}. The caller waits for the chunks, not
 * for the workers: a worker the OS has not scheduled yet simply finds nothing left to take, so a busy machine slows an
 * operation down but never makes it wait on a sleeping thread. Between operations the workers spin for a few tens of
 * microseconds (a forward pass issues operations back to back, and waking a parked thread costs about as much), then
 * park. Per operation the pool allocates one small job record and nothing else.
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

    /** One operation: its chunks, the next one to hand out, and how many are finished. */
    private static final class Job {
        final Task task;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger active = new AtomicInteger();
        volatile Throwable failure;

        Job(Task task, int chunks) {
            this.task = task;
            this.chunks = chunks;
        }

        void work(int worker) {
            active.incrementAndGet();
            try {
                for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                    task.run(c, worker);
                    done.incrementAndGet();
                }
            } catch (Throwable e) {
                failure = e;
                next.set(chunks); // the others stop taking chunks
            } finally {
                active.decrementAndGet();
            }
        }

        boolean finished() {
            return done.get() == chunks || (failure != null && active.get() == 0);
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job current;
    private volatile boolean closed;

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
        Job job = new Job(task, chunks);
        current = job;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        job.work(0);
        int spins = 0;
        while (!job.finished()) {
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable t = job.failure;
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

    /** Splits {@code [0, n)} into at most {@code threads × 4} contiguous ranges of at least {@code minChunk}. */
    public void forRange(int n, int minChunk, RangeTask task) {
        int chunk = Math.max(Math.max(1, minChunk), (n + threads * 4 - 1) / (threads * 4));
        int chunks = (n + chunk - 1) / chunk;
        run(chunks, (c, w) -> task.run(c * chunk, Math.min(n, (c + 1) * chunk), w));
    }

    private void workLoop(int id) {
        Job seen = null;
        while (!closed) {
            Job job = current;
            if (job != seen && job != null) {
                seen = job;
                job.work(id);
                continue;
            }
            long idleSince = System.nanoTime();
            while (current == seen && !closed) {
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
