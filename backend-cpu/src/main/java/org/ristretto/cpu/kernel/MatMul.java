package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.VectorShape;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * Matrix products of quantized weights with float activations: {@code out[t][r] = Σ_c w[r][c] · x[t][c]}, split over
 * a {@link WorkerPool}.
 *
 * <p>Weights are {@code rows} rows of {@code cols} elements in ggml's block layout, read in place from a (mapped)
 * segment. As in ggml, the activations are first brought into the form the weight type's kernel multiplies (floats,
 * or Q8_0 / Q8_K blocks for integer dot products), once per call. Rows are then split into chunks across the pool;
 * each chunk multiplies its rows with a tile of tokens at a time, so a prefill reads each weight row once per tile
 * instead of once per token.
 *
 * <p>Nothing is allocated per call: the prepared activations are kept and grown only when a larger shape arrives, and
 * each worker has its own padded result buffers. An instance is not thread-safe: one caller at a time, like the pool
 * it uses.
 */
public final class MatMul {
    /**
     * Tokens from which the float tiled product ({@link TiledProduct}) replaces the integer kernels: below this the
     * (scalar) dequantization of each weight tile costs more than the faster multiply-adds win back.
     */
    static final int TILED_MIN_TOKENS = 32;

    /**
     * Most tokens a product with a {@link #pack}ed matrix runs on the packed copy (each token through the one-token
     * kernel) rather than with the file-layout kernels, for types other than the K-quants ({@link #packedMaxTokens}):
     * every batch the tiled product does not take. The packed kernels are that much faster: warm, on a 2-core Zen 5
     * with 1B models ({@code ristretto bench -p 4,16,31 -n 0}, packed vs {@code --no-repack}), Q4_0 pp16 45.7 vs
     * 30.5 and pp31 64.8 vs 32.0 tokens/s, Q4_K_M pp16 67.4 vs 15.7 and pp31 73.6 vs 15.8; only Q8_0 is a little
     * slower, pp16 41.6 vs 47.7. Cold, they are compiled before the first product anyway (for decoding), where the
     * file-layout kernels would be compiled while a short prompt runs them: a Q4_K_M model's 5-token prompt took
     * 10–35 s, now 4–6 s.
     */
    public static final int PACKED_MAX_TOKENS = TILED_MIN_TOKENS - 1;
    /**
     * {@link #PACKED_MAX_TOKENS} for the K-quants (Q2_K to Q6_K), whose tiled product (a scalar dequantization of
     * each tile of weights) is slower than their packed kernels up to about this many tokens: 2-core Zen 4, 1B
     * Q4_K_M, {@code ristretto bench -p 32,64,128,256,512 -n 0}, tiled against packed: pp32 65 vs 82, pp64 78 vs 89,
     * pp128 91 vs 96, pp256 99 vs 105, pp512 100 vs 99 tokens/s; 8B Q4_K_M pp32 8.5 vs 12.6, pp64 11.3 vs 13.0,
     * pp128 13.3 vs 12.8. Q4_0 (pp64 96 vs 78) and Q8_0 (pp64 75 vs 47) are faster tiled from 32 tokens.
     */
    public static final int K_QUANT_PACKED_MAX_TOKENS = 127;

    /**
     * Most tokens a product with a {@link #pack}ed {@code type} matrix runs on the packed copy; longer batches read
     * the original: {@link #K_QUANT_PACKED_MAX_TOKENS} for Q2_K to Q6_K, else {@link #PACKED_MAX_TOKENS}.
     */
    public static int packedMaxTokens(GgmlType type) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> K_QUANT_PACKED_MAX_TOKENS;
            default -> PACKED_MAX_TOKENS;
        };
    }

    private final WorkerPool pool;
    private final Lanes lanes;
    private final Map<GgmlType, RowKernel> kernels = new EnumMap<>(GgmlType.class);
    private final WorkerScratch[] scratch;
    private final RowProducts rowProducts;
    private final PackedProducts packed;
    private final TiledProducts tiledProducts;

    /** Kernels at the platform's preferred vector width. */
    public MatMul(WorkerPool pool) {
        this(pool, Lanes.preferred());
    }

    /**
     * Kernels at a chosen vector width (128, 256 or 512 bits): every width computes the same products; the preferred
     * one is fastest. Other widths exist for tests.
     */
    public MatMul(WorkerPool pool, VectorShape shape) {
        this(pool, Lanes.of(shape));
    }

    /** Kernels at a chosen width whose Q4_0 tiled products group columns by {@code kGroupBytes}: for tests. */
    MatMul(WorkerPool pool, VectorShape shape, int kGroupBytes) {
        this(pool, Lanes.of(shape), kGroupBytes);
    }

    private MatMul(WorkerPool pool, Lanes lanes) {
        this(pool, lanes, TiledProducts.K_GROUP_BYTES);
    }

    private MatMul(WorkerPool pool, Lanes lanes, int kGroupBytes) {
        this.pool = pool;
        this.lanes = lanes;
        this.scratch = new WorkerScratch[pool.threads()];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new WorkerScratch();
        }
        this.tiledProducts = new TiledProducts(pool, lanes, kGroupBytes);
        kernels.put(GgmlType.F32, new FloatKernels.F32(lanes));
        kernels.put(GgmlType.F16, new FloatKernels.Half(lanes, false));
        kernels.put(GgmlType.BF16, new FloatKernels.Half(lanes, true));
        kernels.put(GgmlType.Q8_0, new Q8_0Kernels(lanes));
        kernels.put(GgmlType.Q4_0, new Q4_0Kernels(lanes));
        kernels.put(GgmlType.Q4_1, new Q4_1Kernels(lanes));
        kernels.put(GgmlType.Q5_0, Q5Kernels.q5_0(lanes));
        kernels.put(GgmlType.Q5_1, Q5Kernels.q5_1(lanes));
        kernels.put(GgmlType.IQ4_NL, new IQ4Kernels.IQ4_NL(lanes));
        kernels.put(GgmlType.IQ4_XS, new IQ4Kernels.IQ4_XS(lanes));
        kernels.put(GgmlType.Q4_K, new Q4_KKernels(lanes));
        kernels.put(GgmlType.Q6_K, new Q6_KKernels(lanes));
        kernels.put(GgmlType.Q5_K, new Q5_KKernels(lanes));
        kernels.put(GgmlType.Q2_K, new Q2Q3_KKernels.Q2_K(lanes));
        kernels.put(GgmlType.Q3_K, new Q2Q3_KKernels.Q3_K(lanes));
        this.rowProducts = new RowProducts(pool, scratch);
        this.packed = new PackedProducts(pool, scratch, this::kernelFor, lanes);
    }

    /** Whether {@link #multiply} accepts weights of {@code type}. */
    public boolean supports(GgmlType type) {
        return kernels.containsKey(type);
    }

    /**
     * {@code out[outOffset + t*rows + r] = Σ_c w[r][c] · x[xOffset + t*cols + c]} for every row {@code r < rows} and
     * token {@code t < nTokens}.
     *
     * @param type the weights' element type ({@link #supports})
     * @param w the segment holding the weights (typically the read-only mapping of a GGUF file)
     * @param wOffset the byte offset of row 0 in {@code w}; rows follow each other without gaps
     * @param cols the row length in elements: a multiple of {@code type}'s block size
     * @throws IllegalArgumentException if the type is not supported, the shape does not fit the type's blocks, or
     *     an operand is too short for the shape
     */
    public void multiply(GgmlType type, MemorySegment w, long wOffset, int rows, int cols, float[] x, int xOffset,
            int nTokens, float[] out, int outOffset) {
        RowKernel k = kernelFor(type);
        long rb = ProductArguments.checkWeights("weights", type, w, wOffset, rows, cols);
        ProductArguments.checkActivations(cols, x, xOffset, nTokens, out, outOffset, rows);
        if (nTokens >= TILED_MIN_TOKENS) {
            tiledProducts.multiply(type, w, wOffset, rb, null, null, 0, 0, rows, cols, x, xOffset, nTokens, out,
                    outOffset);
        } else {
            rowProducts.multiply(k, w, wOffset, rb, rows, cols, x, xOffset, nTokens, out, outOffset);
        }
    }

    /**
     * The SwiGLU feed-forward input: {@code out[t][r] = silu(gate[r]·x[t]) × (up[r]·x[t])} with
     * {@code silu(a) = a / (1 + e^-a)}, for two weight matrices of the same shape. The activations are prepared once
     * (once per activation form, when the two types differ) and both rows are read in one pass.
     *
     * @throws IllegalArgumentException as {@link #multiply} does, for either matrix
     */
    public void multiplySwiGlu(GgmlType gateType, MemorySegment gate, long gateOffset, GgmlType upType,
            MemorySegment up, long upOffset, int rows, int cols, float[] x, int xOffset, int nTokens, float[] out,
            int outOffset) {
        RowKernel kg = kernelFor(gateType);
        RowKernel ku = kernelFor(upType);
        long rbg = ProductArguments.checkWeights("gate weights", gateType, gate, gateOffset, rows, cols);
        long rbu = ProductArguments.checkWeights("up weights", upType, up, upOffset, rows, cols);
        ProductArguments.checkActivations(cols, x, xOffset, nTokens, out, outOffset, rows);
        if (nTokens >= TILED_MIN_TOKENS) {
            tiledProducts.multiply(gateType, gate, gateOffset, rbg, upType, up, upOffset, rbu, rows, cols, x, xOffset,
                    nTokens, out, outOffset);
        } else {
            rowProducts.multiplySwiGlu(kg, gate, gateOffset, rbg, ku, up, upOffset, rbu, rows, cols, x, xOffset,
                    nTokens, out, outOffset);
        }
    }

    /**
     * The matrix with a packed copy of its rows for faster products of a few tokens, made in {@code memory} by the
     * pool; null when {@code type} has no packed kernel at this vector width, the matrix has fewer rows than a group
     * (8 at 256 bits, 16 at 512), or a Q4_0 or Q8_0 block's scale is infinite or NaN (those packed kernels convert
     * finite fp16 scales only; the file-layout kernels then give the same infinities and NaNs llama.cpp would).
     * The original stays in use for the other products and must stay valid.
     *
     * @throws IllegalArgumentException as {@link #multiply} does for the shape
     */
    public PackedMatrix pack(GgmlType type, MemorySegment w, long wOffset, int rows, int cols,
            SegmentAllocator memory) {
        ProductArguments.checkWeights("weights", type, w, wOffset, rows, cols);
        return packed.pack(type, w, wOffset, rows, cols, memory);
    }

    /**
     * A packed matrix over a copy {@link #pack} made earlier, possibly by another process (kept in a file): the
     * bytes of {@link PackedMatrix#packedCopy()} of a matrix with the same shape and values, packed by this build at
     * this vector width ({@link #packedLayoutKey()}). Nothing checks that the bytes are such a copy.
     *
     * @throws IllegalArgumentException where {@code copy} is not {@link #packedBytes} long
     */
    public PackedMatrix packedFrom(GgmlType type, MemorySegment w, long wOffset, int rows, int cols,
            MemorySegment copy) {
        ProductArguments.checkWeights("weights", type, w, wOffset, rows, cols);
        return packed.packedFrom(type, w, wOffset, rows, cols, copy);
    }

    /**
     * What the packed layouts depend on: the vector width and a checksum of the packing classes' bytecode. Copies
     * made under another key (another machine's vectors, another build's packing) must not be used here.
     */
    public String packedLayoutKey() {
        return packed.packedLayoutKey();
    }

    /** Bytes of the copy {@link #pack} makes of a {@code rows × cols} matrix of {@code type}; 0 where it makes none. */
    public long packedBytes(GgmlType type, int rows, int cols) {
        return packed.packedBytes(type, rows, cols);
    }

    /**
     * Whether a prompt of up to {@link #PACKED_MAX_TOKENS} tokens of a {@code type} matrix with a packed kernel should
     * run on the file's layout, and the matrix be packed only once decoding starts, rather than packed before the
     * prompt: Q8_0 and Q4_0, whose cold first token came sooner so. Packing is mostly faulting fresh memory in, which
     * costs about a second per GB on the virtual machines we measure on (1.3 GB of Q8_0: 1.2–2.8 s of two cores),
     * against the few-token file-layout kernels' warm-up. Cold {@code run -p "Once upon a time" -n 1} of the 1B
     * models on the 2-core Zen 4 (2026-12-07, alternated rounds): Q8_0 3.34 → 2.56 s and Q4_0 4.01 → 3.92 s, then
     * 2.26 → 2.07 s and 3.27 → 2.63 s once their packed kernels were warmed up at the first packing (see
     * {@code WeightProducts}). Not the K-quants: with their packed kernels warmed up before the prompt as well, Q4_K_M
     * went 3.15 → 3.57 s (two more kernels to warm up, in a build that also warmed up beside the tokenizer);
     * warmed up at the first packing instead, Q4_K_M went 3.78 → 2.84 s and Q5_K_M 5.68 → 3.04 s, but the packed
     * Q5_K kernel then compiled after the file-layout kernels had run, against the Vector API's shared methods'
     * profiles of other vector shapes, and decoded 2–3.5 times slower in three runs of three (JFR: repeated
     * {@code speculate_class_check} deoptimizations in {@code PackedQ5_K.dotTwoGroups}, samples in
     * {@code VectorSupport.binaryOp}, the Java fallback). So they pack first.
     */
    public boolean promptsReadTheFile(GgmlType type) {
        return type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
    }

    /** Whether {@code type} has a packed kernel at this vector width ({@link #pack} returns a copy). */
    public boolean hasPacked(GgmlType type) {
        return packed.has(type);
    }

    /**
     * A matrix whose type's file-layout kernel {@link #warmUp} compiles: {@code rows × cols} of {@code type} from
     * byte 0 of {@code w}, normally the model file's mapping.
     */
    public record WarmUpMatrix(GgmlType type, MemorySegment w, int rows, int cols) {}

    /**
     * Has the JIT compile kernels now, so that their first real products run compiled instead of in the interpreter
     * (where Vector API code is about a thousand times slower): the packed kernels of {@code packedTypes}, each run on
     * a small matrix of its own, and the file-layout kernels of the {@code fileLayout} matrices' types, for products
     * of matrices without a packed copy and batches, each run over the first columns of its matrix. One pool
     * operation, each kernel on one worker (about half a second of a core each in a cold start), so that a model's
     * packed and file-layout kernels compile side by side. Types without such a kernel are skipped.
     */
    public void warmUp(Collection<GgmlType> packedTypes, Collection<WarmUpMatrix> fileLayout) {
        List<Runnable> kernels = new ArrayList<>(packed.warmUps(packedTypes));
        for (WarmUpMatrix m : fileLayout) {
            if (supports(m.type())) {
                kernels.add(() -> RowKernelWarmUp.run(m.type(), kernelFor(m.type()), m.w(), m.rows(), m.cols()));
            }
        }
        pool.run(kernels.size(), (i, worker) -> kernels.get(i).run());
    }

    /**
     * Has the JIT compile the tiled (many-token) kernel of {@code m}'s type now, on the calling thread, over the first
     * rows and columns of {@code m}. A backend calls it once per type, before the type's first product of more than
     * {@link #PACKED_MAX_TOKENS} tokens that reads the file's layout: a cold 301-token prompt of the 1B Q4_K_M model
     * (its Q4_K and Q6_K matrices) took 5.82 s on average with it against 6.51 s without (5.37–6.30 against
     * 5.78–8.66; ten alternated rounds, 2-core Zen 4). Types without a kernel are skipped.
     */
    public void warmUpTiled(WarmUpMatrix m) {
        if (supports(m.type())) {
            ProductArguments.checkWeights("weights", m.type(), m.w(), 0, m.rows(), m.cols());
            tiledProducts.warmUp(m.type(), m.w(), 0, m.rows(), m.cols());
        }
    }

    /**
     * {@link #multiply} for a packed matrix: up to {@link #packedMaxTokens} tokens read the packed copy, each group
     * of rows multiplied with one token after another while it is in the cache; more read the original.
     */
    public void multiply(PackedMatrix m, float[] x, int xOffset, int nTokens, float[] out, int outOffset) {
        if (nTokens > packedMaxTokens(m.type())) {
            multiply(m.type(), m.original, m.originalOffset, m.rows, m.cols, x, xOffset, nTokens, out, outOffset);
            return;
        }
        ProductArguments.checkActivations(m.cols, x, xOffset, nTokens, out, outOffset, m.rows);
        packed.multiply(m, x, xOffset, nTokens, out, outOffset);
    }

    /**
     * {@link #multiply} for the packed matrices {@code ms[from..to)}, of one type and row length, against the same
     * activations: {@code outs[i]} from {@code outOffsets[i]} gets {@code nTokens} rows of {@code ms[i].rows}. All
     * tokens are one pool operation over all the matrices, each quantized once; more than
     * {@link #packedMaxTokens} tokens read the originals, matrix by matrix. The arrays are only read.
     */
    public void multiplyMany(PackedMatrix[] ms, int from, int to, float[] x, int xOffset, int nTokens, float[][] outs,
            int[] outOffsets) {
        ProductArguments.checkMany(ms, from, to, outs, outOffsets);
        if (nTokens > packedMaxTokens(ms[from].type())) {
            for (int i = from; i < to; i++) {
                multiply(ms[i], x, xOffset, nTokens, outs[i], outOffsets[i]);
            }
            return;
        }
        for (int i = from; i < to; i++) {
            ProductArguments.checkActivations(ms[i].cols, x, xOffset, nTokens, outs[i], outOffsets[i], ms[i].rows);
        }
        packed.multiplyMany(ms, from, to, x, xOffset, nTokens, outs, outOffsets);
    }

    /** {@link #multiplySwiGlu} for packed matrices of the same type and shape. */
    public void multiplySwiGlu(PackedMatrix gate, PackedMatrix up, float[] x, int xOffset, int nTokens, float[] out,
            int outOffset) {
        if (gate.rows != up.rows || gate.cols != up.cols || gate.type() != up.type()) {
            throw new IllegalArgumentException("gate and up weights differ: " + gate.rows + "x" + gate.cols + " "
                    + gate.type().ggmlName() + " and " + up.rows + "x" + up.cols + " " + up.type().ggmlName());
        }
        if (nTokens > packedMaxTokens(gate.type())) {
            multiplySwiGlu(gate.type(), gate.original, gate.originalOffset, up.type(), up.original, up.originalOffset,
                    gate.rows, gate.cols, x, xOffset, nTokens, out, outOffset);
            return;
        }
        ProductArguments.checkActivations(gate.cols, x, xOffset, nTokens, out, outOffset, gate.rows);
        packed.multiplySwiGlu(gate, up, x, xOffset, nTokens, out, outOffset);
    }

    /** The activation form {@code type}'s kernel multiplies (tests derive their tolerance from it). */
    ActivationFormat activationOf(GgmlType type) {
        return kernelFor(type).activation();
    }

    private RowKernel kernelFor(GgmlType type) {
        RowKernel k = kernels.get(type);
        if (k == null) {
            throw new IllegalArgumentException("no CPU matrix kernel for weights of type " + type.ggmlName());
        }
        return k;
    }
}
