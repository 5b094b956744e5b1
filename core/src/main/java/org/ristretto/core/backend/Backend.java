package org.ristretto.core.backend;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * One compute device and the operations a transformer forward pass needs, in the spirit of ggml-backend: tensors live
 * in memory the backend owns, operations are enqueued in order and may run asynchronously, and data crosses between
 * host and device only through the explicit {@link #write} and {@link #read} (and the ids of {@link #getRows} and
 * {@link #argmax}). A GPU backend can therefore keep weights, KV cache and activations on the device for a whole
 * forward pass and read back once per token.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Tensors are matrices ({@link Tensor}): columns are contiguous, a batch of tokens is a set of rows, heads are
 *       consecutive groups of {@code headDim} columns.</li>
 *   <li>Activations are F32. Weights keep their GGUF block type; products read the blocks directly.</li>
 *   <li>Operations run in the order they are called; an operation may read what an earlier one wrote without any
 *       synchronization by the caller. {@link #read}, {@link #argmax} and {@link #synchronize} wait for all of them.</li>
 *   <li>An operation whose {@link #supports} answer is {@code false} for the given type must not be called; a
 *       caller that needs it routes the operation through the CPU backend by reading its inputs to the host and
 *       writing the result back (weights of that type then stay on the host as CPU backend tensors).</li>
 *   <li>Shape mismatches throw {@link IllegalArgumentException} naming the tensors.</li>
 * </ul>
 * Implementations are not thread-safe: one forward pass at a time per backend instance.
 */
public interface Backend extends AutoCloseable {

    /** The provider name ("cpu", "opencl", "cuda"). */
    String name();

    /** The device this backend runs on. */
    DeviceInfo device();

    /**
     * Whether {@code op} runs here with {@code type}: the weight type for {@link Op#MATMUL},
     * {@link Op#MATMUL_SWIGLU} and {@link Op#GET_ROWS}, the cache type for {@link Op#STORE_KV} and
     * {@link Op#ATTENTION}, F32 for the others.
     */
    boolean supports(Op op, GgmlType type);

    // ---- memory -----------------------------------------------------------------------------------------------

    /**
     * Makes a weight tensor from GGUF data on the host ({@code rows} rows of {@code columns} elements of
     * {@code type}, ggml's block layout). The CPU backend wraps the mapping without copying; device backends upload it
     * once. {@code data} must stay valid while the tensor is used (the model file stays open).
     *
     * @throws BackendException when the device lacks memory (the message says needed and free)
     */
    Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data);

    /** Allocates an F32 activation tensor of {@code rows × columns}, contents undefined. */
    Tensor allocate(String name, int columns, int rows);

    /** A tensor that shares {@code rowCount} rows of {@code tensor} starting at {@code firstRow}; no copy. */
    Tensor view(Tensor tensor, int firstRow, int rowCount);

    /** Allocates a KV cache on this backend's device. */
    KvCache allocateKvCache(KvCacheSpec spec);

    /** Copies {@code rows × columns} floats from {@code src[srcOffset...]} into the F32 tensor {@code dst}. */
    void write(Tensor dst, float[] src, int srcOffset);

    /** Waits for queued work, then copies the whole F32 tensor {@code src} to {@code dst[dstOffset...]}. */
    void read(Tensor src, float[] dst, int dstOffset);

    /** Releases a tensor's device memory (weights and activations); views release nothing. */
    void free(Tensor tensor);

    // ---- operations -------------------------------------------------------------------------------------------

    /** Row {@code ids[i]} of {@code table} (any supported type), as F32, into row {@code i} of {@code out}. */
    void getRows(Tensor table, int[] ids, Tensor out);

    /**
     * RMS normalization: every consecutive group of {@code weight.columns()} elements of each row of {@code x} is
     * scaled by {@code 1/sqrt(mean(x²) + eps)} and multiplied by {@code weight}. A weight as wide as the row normalizes
     * rows; a weight of {@code headDim} normalizes each head (Qwen3's Q/K norms). {@code out} may be {@code x}.
     */
    void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out);

    /**
     * Matrix product with the weights on the left: {@code out[t][r] = Σ_c w[r][c] · x[t][c]} for every row {@code t}
     * of {@code x}. {@code w}: rows × columns of any supported type; {@code x}: n rows of w.columns() F32;
     * {@code out}: n rows of w.rows() F32.
     */
    void matmul(Tensor w, Tensor x, Tensor out);

    /**
     * Several products of one input, {@code outs[i] = weights[i] · x} each as {@link #matmul} computes it (a layer's
     * query, key and value projections). A backend may run them as one operation, preparing {@code x} once and
     * sharing the work of all of them between its threads, which saves the fixed cost of the smaller products; this
     * default runs them one by one. The arrays are only read, during the call: a caller may pass the same ones on
     * every token.
     *
     * @throws IllegalArgumentException if the arrays differ in length or are empty, or as {@link #matmul} for a pair
     */
    default void matmulMany(Tensor[] weights, Tensor x, Tensor[] outs) {
        checkMatmulMany(weights, outs);
        for (int i = 0; i < weights.length; i++) {
            matmul(weights[i], x, outs[i]);
        }
    }

    /**
     * The check of {@link #matmulMany}'s arrays, for backends that override it.
     *
     * @throws IllegalArgumentException if the arrays differ in length or are empty
     */
    static void checkMatmulMany(Tensor[] weights, Tensor[] outs) {
        if (weights.length != outs.length || weights.length == 0) {
            throw new IllegalArgumentException("matmulMany needs as many outputs as weights, at least one: got "
                    + weights.length + " weights and " + outs.length + " outputs");
        }
    }

    /**
     * The SwiGLU feed-forward input, fused so one pass over {@code x} serves both products:
     * {@code out[t][r] = silu(gate[r]·x[t]) · (up[r]·x[t])} with {@code silu(a) = a / (1 + e^-a)}.
     */
    void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out);

    /**
     * Element-wise sum {@code out = a + b}; {@code b} may have one row, which is then added to every row of {@code a}
     * (biases). {@code out} may be {@code a}.
     */
    void add(Tensor a, Tensor b, Tensor out);

    /**
     * Rotates each head of {@code x} in place ({@code x.columns()} is a multiple of {@code headDim}); row {@code t}
     * holds the token at position {@code startPos + t}.
     */
    void rope(Tensor x, int headDim, int startPos, RopeSpec spec);

    /** Stores keys and values of {@code k.rows()} tokens at positions {@code startPos...} of one layer. */
    void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v);

    /**
     * Causal scaled dot-product attention of the queries in {@code q} (row {@code t} at position {@code startPos + t},
     * {@code heads} heads of the cache's {@code headDim}) over cache positions {@code 0..startPos+t} of one layer.
     * Query head {@code h} uses KV head {@code h / (heads / kvHeads)} (GQA, MQA). Implementations are tiled with an
     * online softmax and never hold a score row for the whole context. {@code out} has q's shape.
     */
    void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out);

    /** Waits for queued work and returns, for every row of {@code x}, the column of its largest value (lowest wins ties). */
    int[] argmax(Tensor x);

    /** Waits until every enqueued operation has finished. */
    void synchronize();

    /** Frees everything the backend still holds and stops its threads. */
    @Override
    void close();
}
