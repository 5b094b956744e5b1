package org.ristretto.cpu.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * The packed side of a {@link MatMul}: packing matrices ({@link PackedKernel}) and their products with a few tokens
 * (up to {@link MatMul#packedMaxTokens}), on the same pool and per-worker scratch. Like {@code MatMul}, one caller
 * at a time.
 *
 * <p>A product of several tokens is one pool operation in which every pair of groups is multiplied with each token
 * in turn: the pair's weights come from memory for the first token and from the core's L2 cache for the others.
 * Token after token over the whole matrix read it again for every token, from memory wherever the matrix is larger
 * than the L3 cache (an 8B model's feed-forward matrices, 33 MB each in Q4_0).
 */
final class PackedProducts {
    private final WorkerPool pool;
    private final WorkerScratch[] scratch;
    private final Function<GgmlType, RowKernel> rowKernels;
    private final Map<GgmlType, PackedKernel> kernels = new EnumMap<>(GgmlType.class);
    private final Lanes lanes;
    /** Token {@code t}'s quantized activations and pairs, for the call in progress; grown as needed. */
    private Activations[] acts = {new Activations()};

    // The call in progress, read by the pool's tasks (published by the pool's volatile hand-off). Packing: matrix.
    // Products: matrix i of matrixCount (one kernel, one row length) is groups firstGroups[i] to firstGroups[i + 1]
    // of the operation and writes outs[i] from outOffsets[i].
    private PackedMatrix matrix;
    private PackedMatrix[] matrices = new PackedMatrix[2];
    private float[][] outs = new float[2][];
    private int[] outOffsets = new int[2];
    private int[] firstGroups = new int[3];
    private int matrixCount;
    private int tokens;
    private RowKernel tail;
    private long rowBytes;
    /** Chunk {@code c} of the call in progress is groups {@code chunkStarts[c]} to {@code chunkStarts[c + 1]}. */
    private int[] chunkStarts = new int[0];
    /** A SwiGLU pair's two products, before the SwiGLU: {@code rows} floats each, grown as needed. */
    private float[] gateProducts = new float[0];
    private float[] upProducts = new float[0];
    /** Set by a pack task whose rows the packed kernel would not compute exactly. */
    private volatile boolean inexact;
    /** The smallest chunk of a product, in groups: about a microsecond of one thread's work. */
    private static final int MIN_CHUNK_GROUPS = 2;
    private final WorkerPool.Task packTask = this::packGroup;
    private final WorkerPool.Task productTask = this::productChunk;
    private final WorkerPool.Task prepareTask = (t, worker) -> prepareToken(t);

    /**
     * @param rowKernels the file-layout kernel of each type, for the rows after the last whole group
     * @param lanes the vector width; at 128 bits there are no packed kernels (a group needs at least eight lanes)
     */
    PackedProducts(WorkerPool pool, WorkerScratch[] scratch, Function<GgmlType, RowKernel> rowKernels,
            Lanes lanes) {
        this.pool = pool;
        this.scratch = scratch;
        this.rowKernels = rowKernels;
        this.lanes = lanes;
        if (lanes.ints().length() >= 8) {
            kernels.put(GgmlType.Q4_0, new PackedQ4_0(lanes));
            kernels.put(GgmlType.Q8_0, new PackedQ8_0(lanes));
            kernels.put(GgmlType.Q4_1, new PackedAsQ8_0(GgmlType.Q4_1, lanes));
            kernels.put(GgmlType.Q5_0, new PackedAsQ8_0(GgmlType.Q5_0, lanes));
            kernels.put(GgmlType.Q5_1, new PackedAsQ8_0(GgmlType.Q5_1, lanes));
            kernels.put(GgmlType.IQ4_NL, new PackedIQ4(GgmlType.IQ4_NL, lanes));
            kernels.put(GgmlType.IQ4_XS, new PackedIQ4(GgmlType.IQ4_XS, lanes));
            kernels.put(GgmlType.Q2_K, new PackedQ2_K(lanes));
            kernels.put(GgmlType.Q3_K, new PackedQ3_K(lanes));
            kernels.put(GgmlType.Q4_K, new PackedQ4_K(lanes));
            kernels.put(GgmlType.Q5_K, new PackedQ5_K(lanes));
            kernels.put(GgmlType.Q6_K, new PackedQ6_K(lanes));
        }
    }

    boolean has(GgmlType type) {
        return kernels.containsKey(type);
    }

    /** Bytes of the packed copy {@link #pack} would make of such a matrix; 0 where it makes none. */
    long packedBytes(GgmlType type, int rows, int cols) {
        PackedKernel k = kernels.get(type);
        if (k == null || rows < k.rows()) {
            return 0;
        }
        return k.groupBytes(cols) * (rows / k.rows());
    }

    /** See {@link MatMul#packedFrom}; the shape is checked. */
    PackedMatrix packedFrom(GgmlType type, MemorySegment w, long wOffset, int rows, int cols, MemorySegment copy) {
        long size = packedBytes(type, rows, cols);
        if (size == 0 || copy.byteSize() != size) {
            throw new IllegalArgumentException("a packed copy of a " + rows + "x" + cols + " " + type + " matrix is "
                    + size + " bytes, not " + copy.byteSize());
        }
        return new PackedMatrix(w, wOffset, rows, cols, kernels.get(type), copy);
    }

    /** See {@link MatMul#packedLayoutKey}. */
    String packedLayoutKey() {
        Set<Class<?>> classes = new LinkedHashSet<>();
        for (PackedKernel k : kernels.values()) {
            for (Class<?> c = k.getClass(); c != Object.class; c = c.getSuperclass()) {
                classes.add(c);
            }
        }
        CRC32C crc = new CRC32C();
        for (Class<?> c : classes) {
            try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
                crc.update(c.getName().getBytes(StandardCharsets.UTF_8));
                if (in != null) {
                    crc.update(in.readAllBytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading the class file of " + c.getName(), e);
            }
        }
        return "int lanes " + lanes.ints().length() + ", packing classes " + Long.toHexString(crc.getValue());
    }

    /** See {@link MatMul#pack}; the shape is checked. */
    PackedMatrix pack(GgmlType type, MemorySegment w, long wOffset, int rows, int cols, SegmentAllocator memory) {
        long size = packedBytes(type, rows, cols);
        if (size == 0) {
            return null;
        }
        MemorySegment data = memory.allocate(size, 64);
        matrix = new PackedMatrix(w, wOffset, rows, cols, kernels.get(type), data);
        rowBytes = type.byteSize(cols);
        inexact = false;
        pool.run(matrix.groups(), packTask);
        // A matrix the packed kernel would not compute exactly (a non-finite fp16 scale) stays unpacked; its copy's
        // memory stays with the allocator until the backend closes (a broken model, not a case worth freeing for).
        PackedMatrix m = inexact ? null : matrix;
        matrix = null;
        return m;
    }

    private void packGroup(int group, int worker) {
        PackedMatrix m = matrix;
        if (!m.kernel.pack(m.original, m.originalOffset + group * m.kernel.rows() * rowBytes, m.cols, m.packed,
                group * m.kernel.groupBytes(m.cols), scratch[worker].packing)) {
            inexact = true;
        }
    }

    /** The warm-ups of the packed kernels of {@code types}, for {@link MatMul#warmUp}; none for types without one. */
    List<Runnable> warmUps(Collection<GgmlType> types) {
        return types.stream().map(kernels::get).filter(Objects::nonNull).<Runnable>map(k -> k::warmUp).toList();
    }

    /**
     * {@code out[outOffset + t·rows + r]} = row {@code r} of {@code m} times token {@code t} of the {@code nTokens}
     * tokens of {@code cols} activations each from {@code xOffset}.
     */
    void multiply(PackedMatrix m, float[] x, int xOffset, int nTokens, float[] out, int outOffset) {
        prepare(1);
        set(0, m, out, outOffset);
        run(x, xOffset, nTokens);
    }

    /**
     * {@code out[outOffset + r] = silu(gate·x) × (up·x)} for row {@code r}: one pool operation over both matrices,
     * each read as a single product reads it (a chunk's first half against its second half), into two arrays that
     * the SwiGLU then combines. Reading each group of the gate matrix together with the same group of the up matrix,
     * as before, read 20% slower from memory (a decode-like sequence of 16 layers on a 2-core Zen 4: 24.2 against
     * 30.0 GB/s for an 8192×2048 product on its own).
     */
    void multiplySwiGlu(PackedMatrix gate, PackedMatrix up, float[] x, int xOffset, int nTokens, float[] out,
            int outOffset) {
        // Token t's products are at t·rows of both arrays, as its results are in out: one SwiGLU over all of them.
        int n = gate.rows * nTokens;
        if (gateProducts.length < n) {
            gateProducts = new float[n];
            upProducts = new float[n];
        }
        prepare(2);
        set(0, gate, gateProducts, 0);
        set(1, up, upProducts, 0);
        run(x, xOffset, nTokens);
        int vectorRows = n / lanes.floats().length() * lanes.floats().length();
        SwiGlu.apply(lanes, gateProducts, upProducts, vectorRows, out, outOffset);
        for (int r = vectorRows; r < n; r++) {
            out[outOffset + r] = SwiGlu.of(gateProducts[r], upProducts[r]);
        }
    }

    /**
     * {@code outs[i][outOffsets[i] + t·rows_i + r]} = row {@code r} of {@code ms[i]} times token {@code t} of the
     * activations, for the matrices {@code ms[from..to)} of one type and row length: one quantization of the
     * activations and one pool operation for all of them, so the small ones (a layer's key and value projections) do
     * not each pay an operation's fixed cost.
     */
    void multiplyMany(PackedMatrix[] ms, int from, int to, float[] x, int xOffset, int nTokens, float[][] outputs,
            int[] outputOffsets) {
        prepare(to - from);
        for (int i = from; i < to; i++) {
            set(i - from, ms[i], outputs[i], outputOffsets[i]);
        }
        run(x, xOffset, nTokens);
    }

    private void prepare(int count) {
        if (matrices.length < count) {
            matrices = new PackedMatrix[count];
            outs = new float[count][];
            outOffsets = new int[count];
            firstGroups = new int[count + 1];
        }
        matrixCount = count;
    }

    private void set(int i, PackedMatrix m, float[] out, int outOffset) {
        matrices[i] = m;
        outs[i] = out;
        outOffsets[i] = outOffset;
        firstGroups[i + 1] = firstGroups[i] + m.groups();
    }

    /**
     * Quantizes each token's activations once for the matrices set, then runs all their groups, for every token, as
     * one pool operation.
     */
    private void run(float[] x, int xOffset, int nTokens) {
        PackedMatrix m = matrices[0];
        this.tail = rowKernels.apply(m.type());
        this.rowBytes = m.type().byteSize(m.cols);
        if (acts.length < nTokens) {
            int had = acts.length;
            acts = Arrays.copyOf(acts, nTokens);
            for (int t = had; t < nTokens; t++) {
                acts[t] = new Activations();
            }
        }
        tokens = nTokens;
        for (int t = 0; t < nTokens; t++) {
            acts[t].begin(m.kernel.activation(), x, xOffset + t * m.cols, m.cols, 1);
        }
        int chunks = guidedChunks(pool.threads());
        try {
            if (nTokens == 1) {
                prepareToken(0);
            } else {
                pool.run(nTokens, prepareTask);
            }
            pool.run(chunks, productTask);
        } finally {
            Arrays.fill(matrices, 0, matrixCount, null);
            Arrays.fill(outs, 0, matrixCount, null);
            for (int t = 0; t < nTokens; t++) {
                acts[t].x = null;
            }
        }
    }

    /** Quantizes token {@code t}'s activations and fills its pairs, for the matrices set. */
    private void prepareToken(int t) {
        PackedKernel k = matrices[0].kernel;
        Activations a = acts[t];
        a.quantize(0);
        int pairs = k.pairCount(a.cols);
        if (a.pairs.length < pairs) {
            a.pairs = new int[pairs];
        }
        k.pairs(a);
    }

    /**
     * Splits the groups of the matrices set into chunks that shrink as they go ("guided"): each a
     * {@code 2·threads}-th of the groups not yet handed out, at least {@link #MIN_CHUNK_GROUPS}, so that the first
     * chunks stream long runs of a matrix and the last ones are small enough that no thread waits long for another
     * at the end; no chunk spans two matrices. Fills {@link #chunkStarts} and returns the number of chunks. Measured
     * on a 2-core Zen 4 against eight equal chunks per thread (one-token products from memory, two threads, two
     * builds alternated in one JVM): Q4_0 512×2048 1.15, 2048×2048 1.01, 8192×2048 1.06, Q6_K 128256×2048 (a 1B
     * model's output matrix) 1.11; Q4_K 8192×2048 1.00.
     */
    private int guidedChunks(int threads) {
        int groups = firstGroups[matrixCount];
        int chunks = 0;
        int start = 0;
        int next = 1; // the matrix after the one that holds group start
        while (true) {
            if (chunkStarts.length < chunks + 2) {
                chunkStarts = Arrays.copyOf(chunkStarts, Math.max(64, 2 * chunkStarts.length));
            }
            chunkStarts[chunks] = start;
            if (start == groups) {
                return chunks;
            }
            while (firstGroups[next] <= start) {
                next++;
            }
            int size = Math.max(MIN_CHUNK_GROUPS, (groups - start) / (2 * threads));
            start = Math.min(firstGroups[next], start + size);
            chunks++;
        }
    }

    /**
     * Whole groups of one matrix, for every token of the call; the rows after its last group go with its last chunk.
     */
    private void productChunk(int chunk, int worker) {
        int g0 = chunkStarts[chunk];
        int g1 = chunkStarts[chunk + 1];
        int i = 0;
        while (g0 >= firstGroups[i + 1]) {
            i++;
        }
        PackedMatrix m = matrices[i];
        float[] o = outs[i];
        int oo = outOffsets[i];
        g0 -= firstGroups[i];
        g1 -= firstGroups[i];
        PackedKernel k = m.kernel;
        int cols = m.cols;
        int rows = k.rows();
        long groupBytes = k.groupBytes(cols);
        float[] g = scratch[worker].res;
        int n = tokens;
        Activations[] xs = acts;
        // The chunk's first half against its second half, so that each of the two streams a call reads goes on
        // where the previous call's ended; an odd middle group goes last, with itself. Every token takes its turn
        // at a pair of groups while the pair's weights are in the cache.
        int half = (g1 - g0 + 1) / 2;
        for (int a = g0; a < g0 + (g1 - g0) / 2; a++) {
            int b = a + half;
            for (int t = 0; t < n; t++) {
                int ot = oo + t * m.rows;
                k.dotTwoGroups(m.packed, a * groupBytes, m.packed, b * groupBytes, cols, xs[t], o, ot + a * rows, o,
                        ot + b * rows);
            }
        }
        if ((g1 - g0) % 2 != 0) {
            int a = g0 + half - 1;
            for (int t = 0; t < n; t++) {
                k.dotTwoGroups(m.packed, a * groupBytes, m.packed, a * groupBytes, cols, xs[t], o,
                        oo + t * m.rows + a * rows, g, 0);
            }
        }
        if (g1 == m.groups()) {
            for (int r = g1 * rows; r < m.rows; r++) {
                for (int t = 0; t < n; t++) {
                    tail.dot(m.original, m.originalOffset + r * rowBytes, cols, xs[t], 0, 1, g);
                    o[oo + t * m.rows + r] = g[0];
                }
            }
        }
    }
}
