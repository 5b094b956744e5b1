package org.ristretto.opencl;

import java.util.List;
import java.util.Locale;
import org.ristretto.core.quant.GgmlType;

/**
 * The transformer operations as OpenCL kernels, enqueued on one {@link OpenClRuntime}'s in-order queue. Only
 * {@link #argmax} and explicit buffer reads wait for the device; everything else returns as soon as it is enqueued.
 *
 * <p>Activations are float buffers laid out token-major ({@code x[t * n + i]}). Weights stay in their GGUF encoding
 * (raw blocks) and are dequantized inside the kernels. Every method checks that the buffers are large enough for the
 * shapes it is given, so a wrong shape fails here with a message instead of reading past a buffer on the device.
 */
public final class OpenClOps {
    private static final String COMMON = "common.cl";
    private static final List<String> NORM = List.of(COMMON, "norm.cl");
    private static final List<String> ROPE = List.of(COMMON, "rope.cl");
    private static final List<String> ELEMENTWISE = List.of(COMMON, "elementwise.cl");
    private static final List<String> ATTENTION = List.of(COMMON, "attention.cl");
    /** Tokens per work-group in the multi-token matmul kernels (TILE_TOKENS in the templates). */
    private static final int TILE_TOKENS = 8;
    private static final int ELEMENTWISE_GROUP = 64;

    private final OpenClRuntime runtime;
    private final int rowGroup;
    private final long localMemory;

    /** Operations on {@code runtime}'s device; the work-group sizes are chosen for its device type. */
    public OpenClOps(OpenClRuntime runtime) {
        this.runtime = runtime;
        OpenClDevice d = runtime.device();
        // GPUs want several warps of work-items per row; a CPU device runs a work-group on one core, where 8
        // work-items fill one AVX register when PoCL vectorises across them.
        int preferred = d.type() == OpenClDeviceType.GPU ? 64 : 8;
        this.rowGroup = (int) Math.min(preferred, Long.highestOneBit(Math.max(1, d.maxWorkGroupSize())));
        this.localMemory = d.localMemoryBytes();
    }

    /** The runtime these operations enqueue on. */
    public OpenClRuntime runtime() {
        return runtime;
    }

    /** Whether {@link #matmul} and {@link #getRows} have a kernel for weights of {@code type}. */
    public static boolean supports(GgmlType type) {
        return programOf(type) != null;
    }

    private static List<String> programOf(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> List.of(COMMON, "matmul_" + name(type) + ".cl", "matmul_dense.cl");
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K ->
                    List.of(COMMON, "matmul_" + name(type) + ".cl", "matmul_blocks.cl");
            default -> null;
        };
    }

    private static String name(GgmlType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    private static List<String> program(GgmlType type) {
        List<String> p = programOf(type);
        if (p == null) {
            throw new UnsupportedOperationException("the OpenCL backend has no kernel for " + type
                    + " weights; supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K .. Q6_K");
        }
        return p;
    }

    /**
     * {@code y[t][r] = sum_k W[r][k] * x[t][k]} for {@code tokens} tokens: W is {@code rows x cols} in {@code type}'s
     * GGUF encoding, x holds {@code tokens x cols} floats, y receives {@code tokens x rows} floats.
     */
    public void matmul(GgmlType type, DeviceBuffer w, int rows, int cols, DeviceBuffer x, int tokens,
            DeviceBuffer y) {
        List<String> prog = program(type);
        requireRowLength(type, cols, w);
        requireBytes(w, type.byteSize((long) rows * cols), "a " + rows + " x " + cols + " " + type + " matrix");
        requireFloats(x, (long) tokens * cols, tokens + " x " + cols + " input");
        requireFloats(y, (long) tokens * rows, tokens + " x " + rows + " output");
        if (tokens == 1) {
            KernelCall k = runtime.kernel(prog, "matvec");
            int local = fit(rowGroup, k);
            k.arg(w).arg(cols).arg(x).arg(y).local((long) local * Float.BYTES).runGroups(rows, local);
        } else {
            KernelCall k = runtime.kernel(prog, "matmul");
            int local = fit(rowGroup, k);
            long tiles = (tokens + TILE_TOKENS - 1) / TILE_TOKENS;
            k.arg(w).arg(cols).arg(rows).arg(x).arg(tokens).arg(y)
                    .local((long) TILE_TOKENS * local * Float.BYTES)
                    .run(new long[] {(long) rows * local, tiles}, new long[] {local, 1});
        }
    }

    /**
     * Embedding lookup: {@code out[t] = table[ids[t]]} dequantized to floats, for rows of {@code cols} values of
     * {@code type}. The ids must be valid row indices of the table (the caller checks them against the vocabulary).
     */
    public void getRows(GgmlType type, DeviceBuffer table, int cols, DeviceBuffer ids, int tokens, DeviceBuffer out) {
        List<String> prog = program(type);
        requireRowLength(type, cols, table);
        requireBytes(ids, (long) tokens * Integer.BYTES, tokens + " token ids");
        requireFloats(out, (long) tokens * cols, tokens + " x " + cols + " embeddings");
        long perRow = type.isQuantized() ? cols / 32 : cols;
        runtime.kernel(prog, "get_rows").arg(table).arg(cols).arg(ids).arg(out)
                .run(new long[] {perRow, tokens}, null);
    }

    /** RMSNorm of {@code rows} rows of {@code n} floats, each scaled by the {@code n} weights {@code w}. */
    public void rmsNorm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer out, int rows, int n, float eps) {
        requireFloats(x, (long) rows * n, rows + " x " + n + " input");
        requireFloats(w, n, n + " norm weights");
        requireFloats(out, (long) rows * n, rows + " x " + n + " output");
        KernelCall k = runtime.kernel(NORM, "rms_norm");
        int local = fit(rowGroup, k);
        k.arg(x).arg(w).arg(out).arg(n).arg(eps).local((long) local * Float.BYTES).runGroups(rows, local);
    }

    /**
     * The rotation frequencies {@link #rope} takes: {@code freqScale * base^(-2i / nRot) / factors[i]} for
     * {@code i < nRot / 2}, computed in double.
     *
     * @param factors per-pair frequency divisors (llama 3's {@code rope_freqs}), or null for none
     */
    public static float[] ropeFrequencies(int nRot, double base, double freqScale, float[] factors) {
        if (nRot <= 0 || nRot % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension count must be positive and even, got " + nRot);
        }
        if (factors != null && factors.length < nRot / 2) {
            throw new IllegalArgumentException("rope frequency factors: need " + nRot / 2 + ", got "
                    + factors.length);
        }
        float[] f = new float[nRot / 2];
        for (int i = 0; i < f.length; i++) {
            double v = freqScale * Math.pow(base, -2.0 * i / nRot);
            f[i] = (float) (factors == null ? v : v / factors[i]);
        }
        return f;
    }

    /**
     * Rotates, in place, the first {@code nRot} values of every head of {@code tokens} tokens at positions
     * {@code pos0, pos0 + 1, ...}, by the frequencies of {@link #ropeFrequencies} held in {@code frequencies}.
     *
     * @param neox pairs (i, i + nRot/2) when true (NeoX, qwen), adjacent pairs (2i, 2i + 1) when false (llama)
     */
    public void rope(DeviceBuffer x, int tokens, int heads, int headDim, int nRot, int pos0,
            DeviceBuffer frequencies, boolean neox) {
        if (nRot <= 0 || nRot % 2 != 0 || nRot > headDim) {
            throw new IllegalArgumentException("rotary dimension count " + nRot + " must be even and within the head"
                    + " size " + headDim);
        }
        requireFloats(x, (long) tokens * heads * headDim, tokens + " x " + heads + " x " + headDim + " heads");
        requireFloats(frequencies, nRot / 2, nRot / 2 + " rope frequencies");
        runtime.kernel(ROPE, "rope").arg(x).arg(heads).arg(headDim).arg(nRot).arg(pos0).arg(frequencies)
                .arg(neox ? 1 : 0).run(new long[] {nRot / 2, heads, tokens}, null);
    }

    /** {@code out = a + b} over {@code n} floats ({@code out} may be {@code a} or {@code b}). */
    public void add(DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int n) {
        requireFloats(a, n, "addend");
        requireFloats(b, n, "addend");
        requireFloats(out, n, "sum");
        elementwise(runtime.kernel(ELEMENTWISE, "add").arg(a).arg(b).arg(out).arg(n), n);
    }

    /** {@code out[r][k] = x[r][k] + bias[k]} over {@code n} floats in rows of {@code cols}. */
    public void addRow(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer out, int n, int cols) {
        if (cols <= 0 || n % cols != 0) {
            throw new IllegalArgumentException(n + " values are not whole rows of " + cols);
        }
        requireFloats(x, n, "input");
        requireFloats(bias, cols, cols + " bias values");
        requireFloats(out, n, "output");
        elementwise(runtime.kernel(ELEMENTWISE, "add_row").arg(x).arg(bias).arg(out).arg(n).arg(cols), n);
    }

    /** {@code out = silu(gate) * up} over {@code n} floats. */
    public void swiglu(DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, int n) {
        requireFloats(gate, n, "gate");
        requireFloats(up, n, "up");
        requireFloats(out, n, "output");
        elementwise(runtime.kernel(ELEMENTWISE, "swiglu").arg(gate).arg(up).arg(out).arg(n), n);
    }

    /** {@code out = x * s} over {@code n} floats. */
    public void scale(DeviceBuffer x, float s, DeviceBuffer out, int n) {
        requireFloats(x, n, "input");
        requireFloats(out, n, "output");
        elementwise(runtime.kernel(ELEMENTWISE, "scale").arg(x).arg(s).arg(out).arg(n), n);
    }

    /**
     * Copies {@code n} floats of {@code src} into {@code dst} at element {@code dstOffset}, as fp16 (round to nearest
     * even) when {@code f16}: how keys and values enter a KV cache.
     */
    public void store(DeviceBuffer src, DeviceBuffer dst, long dstOffset, boolean f16, int n) {
        requireFloats(src, n, "source");
        requireBytes(dst, (dstOffset + n) * (f16 ? 2 : 4), "destination of " + n + " values at " + dstOffset);
        elementwise(runtime.kernel(ELEMENTWISE, "store").arg(src).arg(dst).arg(dstOffset).arg(f16 ? 1 : 0).arg(n),
                n);
    }

    /**
     * Causal attention of {@code tokens} query tokens at positions {@code pos0 ..} over a KV cache whose positions
     * {@code 0 .. pos0 + tokens - 1} are filled. Cache layout: key or value of position p, KV head g at element
     * {@code cacheOffset + (p * kvHeads + g) * headDim}, F32 or fp16. Queries and output are
     * {@code tokens x heads x headDim} floats; scores are scaled by {@code scale} (usually 1/sqrt(headDim)).
     */
    public void attention(DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, long cacheOffset, boolean f16,
            DeviceBuffer out, int tokens, int heads, int kvHeads, int headDim, int pos0, float scale) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " attention heads cannot share " + kvHeads + " KV heads");
        }
        long qn = (long) tokens * heads * headDim;
        requireFloats(q, qn, "queries");
        requireFloats(out, qn, "attention output");
        long cacheEnd = (cacheOffset + (long) (pos0 + tokens) * kvHeads * headDim) * (f16 ? 2 : 4);
        requireBytes(kCache, cacheEnd, "keys of positions 0.." + (pos0 + tokens - 1));
        requireBytes(vCache, cacheEnd, "values of positions 0.." + (pos0 + tokens - 1));
        KernelCall k = runtime.kernel(ATTENTION, "attention");
        int local = fit(runtime.device().type() == OpenClDeviceType.GPU ? 64 : 8, k);
        // Keys of a tile live in local memory next to the query, output, and probabilities: use up to half of it.
        long budget = localMemory / 2 - 2L * headDim * Float.BYTES;
        int tile = (int) Math.max(1, Math.min(64, budget / ((headDim + 1L) * Float.BYTES)));
        k.arg(q).arg(kCache).arg(vCache).arg(cacheOffset).arg(f16 ? 1 : 0).arg(out).arg(heads).arg(kvHeads)
                .arg(headDim).arg(pos0).arg(scale).arg(tile)
                .local((long) headDim * Float.BYTES).local((long) headDim * Float.BYTES)
                .local((long) tile * headDim * Float.BYTES).local((long) tile * Float.BYTES)
                .run(new long[] {(long) heads * local, tokens}, new long[] {local, 1});
    }

    /**
     * The index of the largest of the first {@code n} floats of {@code logits} (the lowest index among equals); waits
     * for the queue and reads back one int.
     *
     * @throws IllegalStateException if no value is greater than -infinity (the logits are NaN)
     */
    public int argmax(DeviceBuffer logits, int n, DeviceBuffer result) {
        requireFloats(logits, n, n + " logits");
        requireBytes(result, Integer.BYTES, "argmax result");
        KernelCall k = runtime.kernel(ELEMENTWISE, "argmax");
        int local = fit(256, k);
        k.arg(logits).arg(n).arg(result).local((long) local * Float.BYTES).local((long) local * Integer.BYTES)
                .runGroups(1, local);
        int[] r = new int[1];
        result.read(0, r, 0, 1);
        if (r[0] < 0 || r[0] >= n) {
            throw new IllegalStateException("argmax over " + n + " logits found no value above -infinity: the"
                    + " logits are NaN");
        }
        return r[0];
    }

    private void elementwise(KernelCall k, long n) {
        int local = fit(ELEMENTWISE_GROUP, k);
        long global = (n + local - 1) / local * local;
        k.run(new long[] {Math.max(global, local)}, new long[] {local});
    }

    /** The largest power of two not above {@code wanted} that the kernel may run with. */
    private static int fit(int wanted, KernelCall k) {
        return (int) Long.highestOneBit(Math.max(1, Math.min(wanted, k.maxWorkGroupSize())));
    }

    private static void requireRowLength(GgmlType type, int cols, DeviceBuffer w) {
        if (cols <= 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(w.what() + ": row length " + cols + " is not a positive multiple of the "
                    + type + " block size " + type.blockSize());
        }
    }

    private static void requireFloats(DeviceBuffer b, long n, String role) {
        requireBytes(b, n * Float.BYTES, role + " (" + n + " floats)");
    }

    private static void requireBytes(DeviceBuffer b, long bytes, String role) {
        if (b.bytes() < bytes) {
            throw new IllegalArgumentException("device buffer " + b.what() + " has " + b.bytes() + " bytes, too small"
                    + " for " + role + ": needs " + bytes);
        }
    }
}
