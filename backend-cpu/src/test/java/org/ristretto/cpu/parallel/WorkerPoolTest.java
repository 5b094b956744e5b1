package org.ristretto.cpu.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void everyChunkRunsExactlyOnceAcrossManyOperations(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int op = 0; op < 2_000; op++) {
                int chunks = 1 + op % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(chunks);
                boolean[] workerSeen = new boolean[threads];
                pool.run(chunks, (c, w) -> {
                    hits.incrementAndGet(c);
                    workerSeen[w] = true;
                });
                for (int c = 0; c < chunks; c++) {
                    assertEquals(1, hits.get(c), "chunk " + c + " of operation " + op);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5})
    void forRangeCoversTheRangeWithoutOverlap(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int n : new int[] {0, 1, 7, 64, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                pool.forRange(n, 3, (from, to, w) -> {
                    assertTrue(from < to, "empty range");
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void aFailingChunkIsRethrownAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(50, (c, w) -> {
                if (c == 17) {
                    throw new IllegalStateException("chunk 17 failed");
                }
            }));
            assertEquals("chunk 17 failed", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.run(10, (c, w) -> hits.incrementAndGet(c));
            for (int c = 0; c < 10; c++) {
                assertEquals(1, hits.get(c));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void aFailureInAnyChunkIsRethrownAfterEveryClaimedChunkFinished(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int failing : new int[] {0, 5, 9}) {
                AtomicIntegerArray running = new AtomicIntegerArray(1);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(10, (c, w) -> {
                    running.incrementAndGet(0);
                    try {
                        // The failing chunk fails while another runs (where there is another thread), which then
                        // runs on for a millisecond: run() must wait for it.
                        long end = System.nanoTime() + (c == failing ? 100_000_000 : 1_000_000);
                        while (System.nanoTime() < end && !(c == failing && running.get(0) > 1)) {
                            Thread.onSpinWait();
                        }
                        if (c == failing) {
                            throw new IllegalStateException("chunk " + c);
                        }
                    } finally {
                        running.decrementAndGet(0);
                    }
                }));
                assertEquals("chunk " + failing, e.getMessage());
                assertEquals(0, running.get(0), "a chunk still running after run() threw");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void operationsAllocateNothing(int threads) throws Exception {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(threads)) {
            long[] sums = new long[threads];
            WorkerPool.Task task = (c, w) -> sums[w] += c;
            WorkerPool.RangeTask range = (from, to, w) -> sums[w] += to - from;
            int ops = 20_000;
            for (int i = 0; i < ops; i++) { // warm: the JIT compiles what the measured loop runs
                pool.run(1 + i % 9, task);
                pool.forRange(1 + i % 300, 4, range);
            }
            long[] ids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("ristretto-cpu-"))
                    .mapToLong(Thread::threadId).toArray();
            // The least of a few windows: a window in which the JIT swaps code in may allocate once, an allocation
            // per operation shows in every window.
            long least = Long.MAX_VALUE;
            for (int window = 0; window < 5 && least >= 2L * ops; window++) {
                long before = LongStream.of(bean.getThreadAllocatedBytes(ids)).sum();
                for (int i = 0; i < ops; i++) {
                    pool.run(1 + i % 9, task);
                    pool.forRange(1 + i % 300, 4, range);
                }
                least = Math.min(least, LongStream.of(bean.getThreadAllocatedBytes(ids)).sum() - before);
            }
            assertTrue(least < 2L * ops, least + " bytes allocated by " + 2 * ops + " operations");
        }
    }

    @Test
    void closeStopsTheWorkers() throws Exception {
        WorkerPool pool = new WorkerPool(4);
        pool.run(8, (c, w) -> { });
        pool.close();
        Thread.sleep(50);
        boolean anyAlive = Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("ristretto-cpu-") && t.isAlive());
        assertFalse(anyAlive, "worker threads still alive after close");
        assertThrows(IllegalStateException.class, () -> pool.run(2, (c, w) -> { }));
    }
}
