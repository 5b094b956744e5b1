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
import org.ristretto.cpu.kernel.PackedMatrix;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * Matrix × vector (one token: the decode step) on llama-3.2-1B shapes: 2048×8192 (ffn_down) and 8192×2048
 * (ffn_gate/up). Decoding reads every weight once per token, so the figure of merit is weight bytes read per second;
 * compare it with {@link ReadBandwidth} at the same thread count.
 *
 * <p>Each invocation multiplies the next of enough distinct matrices to fill 512 MiB, so the weights come from
 * memory, not from the caches, as they do in a real forward pass. {@code threads} is the worker-pool size. The
 * {@code bytes} counter is the result: weight bytes read per second, counted in the file's layout (with
 * {@code packed}, the kernels read the packed copy the CPU backend makes for decoding; where a type has none, the
 * figures are the unpacked ones).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Threads(1)
public class MatVec {
    /** Weight types to measure: every type the CPU backend multiplies (narrow with {@code -p type=Q4_0,Q8_0}). */
    @Param({"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS",
        "F16", "BF16", "F32"})
    public String type;

    /** rows x cols. */
    @Param({"2048x8192", "8192x2048"})
    public String shape;

    /** Whether to multiply the packed copies ({@link MatMul#pack}) that decoding uses. */
    @Param({"true", "false"})
    public boolean packed;

    /**
     * MiB of distinct matrices cycled through: 512 keeps the weights coming from memory, as in a real forward pass;
     * a size that fits the last-level cache (two matrices at least) measures the kernel's arithmetic instead.
     */
    @Param({"512"})
    public int footprintMiB;

    /** Worker threads, the caller included. */
    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private WorkerPool pool;
    private MatMul matMul;
    private GgmlType ggmlType;
    private MemorySegment[] matrices;
    private PackedMatrix[] packedMatrices;
    private int rows;
    private int cols;
    private float[] x;
    private float[] out;
    private int next;
    private long matrixBytes;

    /** Weight bytes read, reported by JMH per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        ggmlType = GgmlType.valueOf(type);
        String[] rc = shape.split("x");
        rows = Integer.parseInt(rc[0]);
        cols = Integer.parseInt(rc[1]);
        matrixBytes = ggmlType.byteSize(cols) * rows;
        int count = (int) Math.max(2, ((long) footprintMiB << 20) / matrixBytes);
        arena = Arena.ofShared();
        matrices = new MemorySegment[count];
        for (int i = 0; i < count; i++) {
            matrices[i] = BenchWeights.matrix(arena, ggmlType, rows, cols, i);
        }
        SplittableRandom rnd = new SplittableRandom(7);
        x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        out = new float[rows];
        pool = new WorkerPool(threads);
        matMul = new MatMul(pool);
        packedMatrices = new PackedMatrix[count];
        for (int i = 0; packed && i < count; i++) {
            packedMatrices[i] = matMul.pack(ggmlType, matrices[i], 0, rows, cols, arena);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float multiply(Counters counters) {
        MemorySegment w = matrices[next];
        PackedMatrix p = packedMatrices[next];
        next = next + 1 == matrices.length ? 0 : next + 1;
        if (p != null) {
            matMul.multiply(p, x, 0, 1, out, 0);
        } else {
            matMul.multiply(ggmlType, w, 0, rows, cols, x, 0, 1, out, 0);
        }
        counters.bytes += matrixBytes;
        return out[0];
    }
}
