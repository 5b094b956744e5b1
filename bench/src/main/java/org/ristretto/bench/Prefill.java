package org.ristretto.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.kernel.MatMul;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * The prefill-shaped product: 512 tokens times a llama-3.2-1B 8192×2048 matrix (ffn_gate/up shape). This is
 * compute-bound; the {@code macs} counter reports multiply-adds per second, and {@code tokens} the tokens per
 * second this one matrix would allow.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 4, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
@Threads(1)
public class Prefill {
    /** Weight types to measure: every type the CPU backend multiplies (narrow with {@code -p type=Q4_0,Q8_0}). */
    @Param({"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS",
        "F16", "BF16", "F32"})
    public String type;

    @Param({"1", "2"})
    public int threads;

    @Param({"512"})
    public int tokens;

    private static final int ROWS = 8192;
    private static final int COLS = 2048;

    private Arena arena;
    private WorkerPool pool;
    private MatMul matMul;
    private GgmlType ggmlType;
    private MemorySegment matrix;
    private float[] x;
    private float[] out;

    /** Multiply-adds and tokens done, reported by JMH per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long macs;
        public long tokens;
    }

    @Setup(Level.Trial)
    public void setUp() {
        ggmlType = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        matrix = BenchWeights.matrix(arena, ggmlType, ROWS, COLS, 1);
        SplittableRandom rnd = new SplittableRandom(7);
        x = new float[tokens * COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        out = new float[tokens * ROWS];
        pool = new WorkerPool(threads);
        matMul = new MatMul(pool);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float multiply(Counters counters) {
        matMul.multiply(ggmlType, matrix, 0, ROWS, COLS, x, 0, tokens, out, 0);
        counters.macs += (long) ROWS * COLS * tokens;
        counters.tokens += tokens;
        return out[0];
    }
}
