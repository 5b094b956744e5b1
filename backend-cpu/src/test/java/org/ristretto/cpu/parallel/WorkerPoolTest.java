package org.ristretto.cpu.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
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
