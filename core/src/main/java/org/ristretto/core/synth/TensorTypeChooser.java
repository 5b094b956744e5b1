package org.ristretto.core.synth;

import org.ristretto.core.quant.GgmlType;

/**
 * Chooses each tensor's type for a llama.cpp file type the way llama-quantize does ({@code llama_tensor_get_type}
 * in llama.cpp's {@code src/llama-quant.cpp}), for dense models without an importance matrix.
 *
 * <p>The rules, in llama.cpp's order:
 * <ol>
 *   <li>Only 2-D (or higher) tensors whose name ends in {@code weight} and is no {@code _norm.weight} are converted;
 *       the rest (norms, {@code rope_freqs}) keep their type. With a non-quantized default type (F32, F16, BF16)
 *       every converted tensor simply takes it.</li>
 *   <li>{@code output.weight}, or {@code token_embd.weight} when the embeddings are tied (no output tensor):
 *       Q8_0 if its rows are not a multiple of the default type's block, else Q6_K unless the default is Q8_0.</li>
 *   <li>{@code attn_v}: Q2_K files use Q4_K (Q3_K when fewer than 4 query heads share a KV head); Q3_K_M uses Q5_K
 *       for the first two layers and Q4_K after; Q3_K_L Q5_K; Q4_K_M and Q5_K_M Q6_K in the layers
 *       {@link #useMoreBits} picks; Q4_K_S Q5_K in the first four layers.</li>
 *   <li>{@code ffn_down}: Q2_K uses Q3_K; Q3_K_M Q5_K in the first sixteenth of the layers and Q4_K after; Q3_K_L
 *       Q5_K; Q4_K_M and Q5_K_M Q6_K in the layers {@link #useMoreBits} picks; Q4_K_S Q5_K in the first eighth.</li>
 *   <li>{@code attn_output}: Q2_K uses Q3_K, Q3_K_M Q4_K, Q3_K_L Q5_K.</li>
 *   <li>Last, a type whose block does not divide the row length falls back: Q2_K and Q3_K to Q4_0, Q4_K to Q5_0,
 *       Q5_K to Q5_1, Q6_K to Q8_0, and to F16 if even that block does not divide it.</li>
 * </ol>
 * llama.cpp counts layers for {@code attn_v} and {@code ffn_down} in the order it visits tensors, which sorts by
 * layer number first, so the count is the layer number. Rules for MoE, Falcon, 70B models and the IQ/ternary types
 * are not here, since no preset needs them.
 */
public final class TensorTypeChooser {
    /** llama.cpp's broad tensor kinds ({@code tensor_category}). */
    enum Category { TOKEN_EMBD, OUTPUT, ATTENTION_Q, ATTENTION_K, ATTENTION_V, ATTENTION_OUTPUT, FFN_UP, FFN_GATE,
        FFN_DOWN, OTHER }

    private final LlamaFileType fileType;
    private final int layers;
    private final int queryHeadsPerKvHead;
    private final boolean tiedEmbeddings;
    private final boolean pure;

    /**
     * @param layers              the model's block count (llama.cpp's {@code n_attention_wv} and {@code n_ffn_down})
     * @param queryHeadsPerKvHead {@code n_head / n_head_kv} (llama.cpp's {@code n_gqa})
     * @param tiedEmbeddings      whether the model has no {@code output.weight}
     * @param pure                llama-quantize's {@code --pure}: the default type everywhere it applies
     */
    public TensorTypeChooser(LlamaFileType fileType, int layers, int queryHeadsPerKvHead, boolean tiedEmbeddings,
                             boolean pure) {
        this.fileType = fileType;
        this.layers = layers;
        this.queryHeadsPerKvHead = queryHeadsPerKvHead;
        this.tiedEmbeddings = tiedEmbeddings;
        this.pure = pure;
    }

    /** The chooser for a preset's model. */
    public static TensorTypeChooser forPreset(SynthPreset p, LlamaFileType fileType, boolean pure) {
        return new TensorTypeChooser(fileType, p.layers(), p.heads() / p.kvHeads(), p.tiedEmbeddings(), pure);
    }

    /**
     * The type of tensor {@code name} of shape {@code dims} (ggml order, {@code dims[0]} the row length) whose
     * source data is of type {@code sourceType}.
     *
     * @throws IllegalArgumentException where llama.cpp has no fallback for a row length (it fails the same way)
     */
    public GgmlType typeOf(String name, long[] dims, GgmlType sourceType) {
        if (!convertible(name, dims)) {
            return sourceType;
        }
        GgmlType type = fileType.defaultType();
        if (!type.isQuantized()) {
            return type;
        }
        if (!pure) {
            type = mix(name, category(name), dims[0], type);
        }
        return fallback(name, dims[0], type);
    }

    /** llama.cpp's {@code tensor_allows_quantization} for the tensors these models have. */
    static boolean convertible(String name, long[] dims) {
        return dims.length >= 2 && name.endsWith("weight") && !name.contains("_norm.weight");
    }

    static Category category(String name) {
        if (name.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (name.equals("token_embd.weight")) {
            return Category.TOKEN_EMBD;
        }
        if (name.contains("attn_v.weight")) {
            return Category.ATTENTION_V;
        }
        if (name.contains("attn_k.weight")) {
            return Category.ATTENTION_K;
        }
        if (name.contains("attn_q.weight")) {
            return Category.ATTENTION_Q;
        }
        if (name.contains("attn_output.weight")) {
            return Category.ATTENTION_OUTPUT;
        }
        if (name.contains("ffn_up")) {
            return Category.FFN_UP;
        }
        if (name.contains("ffn_gate")) {
            return Category.FFN_GATE;
        }
        if (name.contains("ffn_down")) {
            return Category.FFN_DOWN;
        }
        return Category.OTHER;
    }

    /**
     * llama.cpp's choice of layers that get more bits in the _M mixes: the first and last eighth, and every third
     * layer in between.
     */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private GgmlType mix(String name, Category category, long rowLength, GgmlType type) {
        LlamaFileType f = fileType;
        if (category == Category.OUTPUT || (tiedEmbeddings && category == Category.TOKEN_EMBD)) {
            if (rowLength % type.blockSize() != 0) {
                return GgmlType.Q8_0;
            }
            return type == GgmlType.Q8_0 ? type : GgmlType.Q6_K;
        }
        return switch (category) {
            case ATTENTION_V -> {
                int i = layerOf(name);
                if (f == LlamaFileType.MOSTLY_Q2_K) {
                    yield queryHeadsPerKvHead >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                } else if (f == LlamaFileType.MOSTLY_Q3_K_M) {
                    yield i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                } else if (f == LlamaFileType.MOSTLY_Q3_K_L) {
                    yield GgmlType.Q5_K;
                } else if ((f == LlamaFileType.MOSTLY_Q4_K_M || f == LlamaFileType.MOSTLY_Q5_K_M)
                        && useMoreBits(i, layers)) {
                    yield GgmlType.Q6_K;
                } else if (f == LlamaFileType.MOSTLY_Q4_K_S && i < 4) {
                    yield GgmlType.Q5_K;
                }
                yield type;
            }
            case FFN_DOWN -> {
                int i = layerOf(name);
                if (f == LlamaFileType.MOSTLY_Q2_K) {
                    yield GgmlType.Q3_K;
                } else if (f == LlamaFileType.MOSTLY_Q3_K_M) {
                    yield i < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                } else if (f == LlamaFileType.MOSTLY_Q3_K_L) {
                    yield GgmlType.Q5_K;
                } else if (f == LlamaFileType.MOSTLY_Q4_K_M) {
                    yield useMoreBits(i, layers) ? GgmlType.Q6_K : type;
                } else if (f == LlamaFileType.MOSTLY_Q5_K_M && useMoreBits(i, layers)) {
                    yield GgmlType.Q6_K;
                } else if (f == LlamaFileType.MOSTLY_Q4_K_S && i < layers / 8) {
                    yield GgmlType.Q5_K;
                }
                yield type;
            }
            case ATTENTION_OUTPUT -> switch (f) {
                case MOSTLY_Q2_K -> GgmlType.Q3_K;
                case MOSTLY_Q3_K_M -> GgmlType.Q4_K;
                case MOSTLY_Q3_K_L -> GgmlType.Q5_K;
                default -> type;
            };
            default -> type;
        };
    }

    private static GgmlType fallback(String name, long rowLength, GgmlType type) {
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        GgmlType to = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("tensor " + name + ": row length " + rowLength
                    + " is not a multiple of the " + type.ggmlName() + " block of " + type.blockSize()
                    + ", and llama.cpp defines no fallback for " + type.ggmlName());
        };
        return rowLength % to.blockSize() == 0 ? to : GgmlType.F16;
    }

    /** The {@code N} of a {@code blk.N.} tensor name. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) {
            throw new IllegalArgumentException("tensor " + name + " is not in a block (blk.N.)");
        }
        int end = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, end));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("tensor " + name + " has no layer number after blk.", e);
        }
    }
}
