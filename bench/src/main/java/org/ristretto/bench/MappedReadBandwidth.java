package org.ristretto.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How fast {@code threads} threads read a model file through its mapping, the way decoding reads the weights: the
 * denominator of the decode roofline ("model bytes × tokens/s ÷ read bandwidth"), measured on the same file, in the
 * same run as the tokens per second it is compared with (the read bandwidth of a shared machine moves by a third
 * from hour to hour). Each thread sums its own contiguous slice with {@link ReadBandwidth#sum}; the figure is the
 * best of several passes, since the first ones also fault the mapping's pages in.
 */
final class MappedReadBandwidth {
    private MappedReadBandwidth() {}

    /** Bytes per second over the whole file, the best of {@code passes} passes with {@code threads} threads. */
    static double bytesPerSecond(Path file, int threads, int passes) throws IOException, InterruptedException {
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            // Slices of whole 256-byte steps (four 512-bit vectors); the remainder is too small to matter.
            long slice = all.byteSize() / threads / 256 * 256;
            if (slice == 0) {
                throw new IllegalArgumentException(file + " is too small to measure read bandwidth on");
            }
            warmUp(all);
            double best = 0;
            for (int pass = 0; pass < passes; pass++) {
                Thread[] readers = new Thread[threads];
                float[] sums = new float[threads];
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    MemorySegment part = all.asSlice(slice * t, slice);
                    readers[t] = Thread.ofPlatform().start(() -> sums[id] = ReadBandwidth.sum(part));
                }
                for (Thread reader : readers) {
                    reader.join();
                }
                long nanos = System.nanoTime() - start;
                best = Math.max(best, slice * threads * 1e9 / nanos);
            }
            return best;
        }
    }

    /**
     * Has the JIT compile the summing loop on a small part of the file first: in the interpreter, and at C1's tier
     * (which does not compile the Vector API to vector instructions), the first passes over a large file read at a
     * small fraction of the bandwidth.
     */
    private static void warmUp(MemorySegment all) {
        MemorySegment part = all.asSlice(0, Math.min(all.byteSize(), 64 << 10) / 256 * 256);
        float sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += ReadBandwidth.sum(part);
        }
        if (sink == 42) {
            System.out.print(""); // keeps the sums from being optimized away
        }
    }
}
