package org.ristretto.opencl;

import java.util.List;
import java.util.Locale;
import org.ristretto.core.quant.GgmlType;

/**
 * The transformer operations as OpenCL kernels, enqueued on one {@link OpenClRuntime}'s in-order queue; every method
 * returns as soon as its kernel is enqueued.
 *
 * <p>Activations are F32 slices laid out token-major ({@code x[t * n + i]}). Weights stay in their GGUF encoding
 * (raw blocks) and are dequantized inside the kernels. Every method checks that the slices are large enough for the
 * shapes it is given, so a wrong shape fails here with a message instead of reading past a buffer on the device.
 * Not thread-safe, like the runtime.
 */
public final class OpenClOps {
    private static final String COMMON = "common.cl";
    private static final List<String> NORM = List.of(COMMON, "norm.cl");
    private static final List<String> ROPE = List.of(COMMON, "rope.cl");
    private static final List<String> ELEMENTWISE = List.of(COMMON, "elementwise.cl");
    private static final List<String> STORE_KV = List.of(COMMON, "kv.cl", "store_kv.cl");
    private static final List<String> ATTENTION = List.of(COMMON, "kv.cl", "attention.cl");
    /** Tokens per work-group in the matmul kernels (TILE_TOKENS in matmul.cl). */
    private static final int TILE_TOKENS = 8;
    private static final int ELEMENTWISE_GROUP = 64;

    private final OpenClRuntime runtime;
    private final int rowGroup;

    /** Operations on {@code runtime}'s device; the work-group sizes are chosen for its device type. */
    public OpenClOps(OpenClRuntime runtime) {
        this.runtime = runtime;
        // GPUs want several warps of work-items per row; a CPU device runs a work-group on one core, where 8
        // work-items fill one AVX register when PoCL vectorises across them.
        this.rowGroup = runtime.device().type() == OpenClDeviceType.GPU ? 64 : 8;
    }

    /** The runtime these operations enqueue on. */
    public OpenClRuntime runtime() {
        return runtime;
    }

    /** Whether {@link #matmul}, {@link #matmulSwiGlu} and {@link #getRows} have kernels for {@code type}. */
    public static boolean supportsWeights(GgmlType type) {
        return programOf(type) != null;
    }

    /** Whether a KV cache of {@code type} can be stored and attended to. */
    public static boolean supportsKvCache(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.Q8_0;
    }

    private static List<String> programOf(GgmlType type) {
        String codec = "matmul_" + type.name().toLowerCase(Locale.ROOT) + ".cl";
        return switch (type) {
            case F32, F16, BF16 -> List.of(COMMON, codec, "dense.cl", "matmul.cl");
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS ->
                    List.of(COMMON, codec, "blocks.cl", "matmul.cl");
            default -> null;
        };
    }

    private static List<String> program(GgmlType type) {
        List<String> p = programOf(type);
        if (p == null) {
            throw new UnsupportedOperationException("the OpenCL backend has no kernel for " + type.ggmlName()
                    + " weights; it has f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K to q6_K, iq4_nl and iq4_xs");
        }
        return p;
    }

    /**
     * {@code y[t][r] = sum_k W[r][k] * x[t][k]} for {@code tokens} tokens: W is {@code rows x cols} in {@code type}'s
     * GGUF encoding, x holds {@code tokens x cols} floats, y receives {@code tokens x rows} floats.
     */
    public void matmul(GgmlType type, DeviceSlice w, int rows, int cols, DeviceSlice x, int tokens, DeviceSlice y) {
        List<String> prog = program(type);
        checkMatrix(type, w, rows, cols);
        requireFloats(x, (long) tokens * cols, tokens + " x " + cols + " input");
        requireFloats(y, (long) tokens * rows, tokens + " x " + rows + " output");
        KernelCall k = runtime.kernel(prog, "matmul");
        int local = fit(rowGroup, k);
        k.arg(w).arg(cols).arg(rows).arg(x).arg(tokens).arg(y).local((long) TILE_TOKENS * local * Float.BYTES)
                .run(tileGrid(rows, tokens, local), new long[] {local, 1});
    }

    /**
     * The SwiGLU feed-forward input in one pass: {@code y[t][r] = silu(G[r].x[t]) * (U[r].x[t])}, with G and U
     * both {@code rows x cols} of {@code type}.
     */
    public void matmulSwiGlu(GgmlType type, DeviceSlice gate, DeviceSlice up, int rows, int cols, DeviceSlice x,
            int tokens, DeviceSlice y) {
        List<String> prog = program(type);
        checkMatrix(type, gate, rows, cols);
        checkMatrix(type, up, rows, cols);
        requireFloats(x, (long) tokens * cols, tokens + " x " + cols + " input");
        requireFloats(y, (long) tokens * rows, tokens + " x " + rows + " output");
        KernelCall k = runtime.kernel(prog, "matmul_swiglu");
        int local = fit(rowGroup, k);
        k.arg(gate).arg(up).arg(cols).arg(rows).arg(x).arg(tokens).arg(y)
                .local(2L * TILE_TOKENS * local * Float.BYTES)
                .run(tileGrid(rows, tokens, local), new long[] {local, 1});
    }

    private static long[] tileGrid(int rows, int tokens, int local) {
        return new long[] {(long) rows * local, (tokens + TILE_TOKENS - 1) / TILE_TOKENS};
    }

    /**
     * Embedding lookup: {@code out[t] = table[ids[t]]} dequantized to floats, for rows of {@code cols} values of
     * {@code type}. The ids must be valid row indices of the table: the caller checks them, as the kernel cannot.
     */
    public void getRows(GgmlType type, DeviceSlice table, int cols, DeviceBuffer ids, int tokens, DeviceSlice out) {
        List<String> prog = program(type);
        checkRowLength(type, cols, table);
        requireBytes(ids.all(), (long) tokens * Integer.BYTES, tokens + " token ids");
        requireFloats(out, (long) tokens * cols, tokens + " x " + cols + " embeddings");
        long chunks = type.isQuantized() ? cols / 32 : cols;
        runtime.kernel(prog, "get_rows").arg(table).arg(cols).arg(ids).arg(out).run(new long[] {chunks, tokens},
                null);
    }

    /** RMSNorm of {@code groups} consecutive groups of {@code n} floats, each scaled by the {@code n} weights w. */
    public void rmsNorm(DeviceSlice x, DeviceSlice w, DeviceSlice out, int groups, int n, float eps) {
        requireFloats(x, (long) groups * n, groups + " x " + n + " input");
        requireFloats(w, n, n + " norm weights");
        requireFloats(out, (long) groups * n, groups + " x " + n + " output");
        KernelCall k = runtime.kernel(NORM, "rms_norm");
        int local = fit(rowGroup, k);
        k.arg(x).arg(w).arg(out).arg(n).arg(eps).local((long) local * Float.BYTES).runGroups(groups, local);
    }

    /**
     * Rotates, in place, the first {@code nRot} values of every head of {@code tokens} tokens at positions
     * {@code pos0, pos0 + 1, ...}: pair i turns by {@code position * freq[i]}, its cosine and sine scaled by
     * {@code mscale} (see {@link RopeFrequencies}).
     *
     * @param freq {@code nRot / 2} floats
     * @param neox pairs (i, i + nRot/2) when true (NeoX, Qwen), adjacent pairs (2i, 2i + 1) when false (Llama)
     */
    public void rope(DeviceSlice x, int tokens, int heads, int headDim, int nRot, int pos0, DeviceBuffer freq,
            float mscale, boolean neox) {
        if (nRot < 2 || nRot % 2 != 0 || nRot > headDim) {
            throw new IllegalArgumentException("rotary dimension count " + nRot + " must be even and within the head"
                    + " size " + headDim);
        }
        requireFloats(x, (long) tokens * heads * headDim, tokens + " x " + heads + " x " + headDim + " heads");
        requireFloats(freq.all(), nRot / 2, nRot / 2 + " rope frequencies");
        runtime.kernel(ROPE, "rope").arg(x).arg(heads).arg(headDim).arg(nRot).arg(pos0).arg(freq).arg(mscale)
                .arg(neox ? 1 : 0).run(new long[] {nRot / 2, heads, tokens}, null);
    }

    /**
     * {@code out[i] = a[i] + b[i % bn]} over {@code n} floats: a plain sum when {@code bn == n}, a bias added to every
     * row of {@code bn} values otherwise. {@code out} may be {@code a}.
     */
    public void add(DeviceSlice a, DeviceSlice b, DeviceSlice out, int n, int bn) {
        if (bn <= 0 || n % bn != 0) {
            throw new IllegalArgumentException(n + " values are not whole rows of " + bn);
        }
        requireFloats(a, n, "addend");
        requireFloats(b, bn, "addend");
        requireFloats(out, n, "sum");
        elementwise(runtime.kernel(ELEMENTWISE, "add").arg(a).arg(b).arg(out).arg(n).arg(bn), n);
    }

    /** {@code out = silu(gate) * up} over {@code n} floats. */
    public void swiglu(DeviceSlice gate, DeviceSlice up, DeviceSlice out, int n) {
        requireFloats(gate, n, "gate");
        requireFloats(up, n, "up");
        requireFloats(out, n, "output");
        elementwise(runtime.kernel(ELEMENTWISE, "swiglu").arg(gate).arg(up).arg(out).arg(n), n);
    }

    /** {@code out = x * s} over {@code n} floats. */
    public void scale(DeviceSlice x, float s, DeviceSlice out, int n) {
        requireFloats(x, n, "input");
        requireFloats(out, n, "output");
        elementwise(runtime.kernel(ELEMENTWISE, "scale").arg(x).arg(s).arg(out).arg(n), n);
    }

    /**
     * Writes {@code n} floats of {@code src} into a cache buffer at element {@code dstElement}, converted to the
     * cache's {@code type}: F32, F16 (round to nearest even) or Q8_0 (ggml's reference quantizer; {@code n} and
     * {@code dstElement} multiples of 32).
     */
    public void storeKv(DeviceSlice src, DeviceBuffer dst, long dstElement, GgmlType type, int n) {
        int code = kvCode(type);
        if (type == GgmlType.Q8_0 && (n % 32 != 0 || dstElement % 32 != 0)) {
            throw new IllegalArgumentException("a Q8_0 cache stores whole blocks of 32: got " + n + " values at "
                    + dstElement);
        }
        requireFloats(src, n, "source");
        requireBytes(dst.all(), type.byteSize(dstElement + n), "a cache of " + (dstElement + n) + " values");
        KernelCall k = runtime.kernel(STORE_KV, "store_kv").arg(src).arg(dst).arg(dstElement).arg(code).arg(n);
        elementwise(k, type == GgmlType.Q8_0 ? n / 32 : n);
    }

    /**
     * Causal attention of {@code tokens} queries at positions {@code pos0 ..} over cache positions
     * {@code 0 .. pos0 + tokens - 1} of one layer. Cache layout: the key or value of position p and KV head g at
     * element {@code (p * kvHeads + g) * headDim} of {@code k} or {@code v}, stored as {@code type}. Queries and
     * output are {@code tokens x heads x headDim} floats; scores are scaled by {@code scale}.
     */
    public void attention(DeviceSlice q, DeviceBuffer k, DeviceBuffer v, GgmlType type, DeviceSlice out, int tokens,
            int heads, int kvHeads, int headDim, int pos0, float scale) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " attention heads cannot share " + kvHeads + " KV heads");
        }
        int code = kvCode(type);
        long qn = (long) tokens * heads * headDim;
        requireFloats(q, qn, "queries");
        requireFloats(out, qn, "attention output");
        long cacheBytes = type.byteSize((long) (pos0 + tokens) * kvHeads * headDim);
        requireBytes(k.all(), cacheBytes, "keys of positions 0.." + (pos0 + tokens - 1));
        requireBytes(v.all(), cacheBytes, "values of positions 0.." + (pos0 + tokens - 1));
        KernelCall call = runtime.kernel(ATTENTION, "attention");
        int local = fit(rowGroup, call);
        // A tile of keys lives in local memory beside the query, the output and the probabilities: use up to half.
        long budget = runtime.device().localMemoryBytes() / 2 - 2L * headDim * Float.BYTES;
        int tile = (int) Math.max(1, Math.min(64, budget / ((headDim + 1L) * Float.BYTES)));
        call.arg(q).arg(k).arg(v).arg(code).arg(out).arg(heads).arg(kvHeads).arg(headDim).arg(pos0).arg(scale)
                .arg(tile).local((long) headDim * Float.BYTES).local((long) headDim * Float.BYTES)
                .local((long) tile * headDim * Float.BYTES).local((long) tile * Float.BYTES)
                .run(new long[] {(long) heads * local, tokens}, new long[] {local, 1});
    }

    private static int kvCode(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 2;
            default -> throw new UnsupportedOperationException("the OpenCL backend has no " + type.ggmlName()
                    + " KV cache; it has f32, f16 and q8_0");
        };
    }

    /**
     * Enqueues, for each of {@code rows} rows of {@code n} floats, the index of its largest value (the lowest index
     * among equals) into {@code result}; a row with no value above -infinity (NaN) gets {@code n}.
     */
    public void argmax(DeviceSlice x, int rows, int n, DeviceBuffer result) {
        requireFloats(x, (long) rows * n, rows + " x " + n + " values");
        requireBytes(result.all(), (long) rows * Integer.BYTES, rows + " argmax results");
        KernelCall k = runtime.kernel(ELEMENTWISE, "argmax");
        int local = fit(runtime.device().type() == OpenClDeviceType.GPU ? 256 : 8, k);
        k.arg(x).arg(n).arg(result).local((long) local * Float.BYTES).local((long) local * Integer.BYTES)
                .runGroups(rows, local);
    }

    private void elementwise(KernelCall k, long n) {
        int local = fit(ELEMENTWISE_GROUP, k);
        long global = Math.max(1, (n + local - 1) / local) * local;
        k.run(new long[] {global}, new long[] {local});
    }

    /** The largest power of two not above {@code wanted} that the kernel may run with. */
    private static int fit(int wanted, KernelCall k) {
        return (int) Long.highestOneBit(Math.max(1, Math.min(wanted, k.maxWorkGroupSize())));
    }

    private static void checkMatrix(GgmlType type, DeviceSlice w, int rows, int cols) {
        checkRowLength(type, cols, w);
        requireBytes(w, type.byteSize((long) rows * cols), "a " + rows + " x " + cols + " " + type.ggmlName()
                + " matrix");
    }

    private static void checkRowLength(GgmlType type, int cols, DeviceSlice w) {
        if (cols <= 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(w.what() + ": row length " + cols + " is not a positive multiple of the "
                    + type.ggmlName() + " block size " + type.blockSize());
        }
    }

    private static void requireFloats(DeviceSlice s, long n, String role) {
        requireBytes(s, n * Float.BYTES, role + " (" + n + " floats)");
    }

    private static void requireBytes(DeviceSlice s, long bytes, String role) {
        if (s.bytes() < bytes) {
            throw new IllegalArgumentException("device buffer " + s.what() + " has " + s.bytes() + " bytes from offset "
                    + s.offset() + ", too few for " + role + ": needs " + bytes);
        }
    }
}
