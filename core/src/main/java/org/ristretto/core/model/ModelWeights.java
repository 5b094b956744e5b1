package org.ristretto.core.model;

import java.util.ArrayList;
import java.util.List;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;

/**
 * A model's weights as backend tensors, looked up by their GGUF names and handed to {@link Backend#weight} straight
 * from the file mapping (the CPU backend wraps the mapping; device backends upload it once). Each tensor's shape is
 * checked against the {@link ModelConfig} and its type against what the backend can compute with.
 *
 * <p>The {@link GgufFile} must stay open while the weights are used. {@link #close()} frees the backend tensors.
 */
public final class ModelWeights implements AutoCloseable {

    /**
     * One transformer block. Biases and the Q/K norms are null where the architecture has none.
     *
     * @param qNorm per-head RMS norm weight of the queries ({@code headDim} wide; Qwen3)
     * @param kNorm per-head RMS norm weight of the keys ({@code headDim} wide; Qwen3)
     */
    public record Layer(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor bq, Tensor bk, Tensor bv,
                        Tensor bo, Tensor qNorm, Tensor kNorm, Tensor ffnNorm, Tensor ffnGate, Tensor ffnUp,
                        Tensor ffnDown) {
    }

    private final ModelConfig config;
    private final Backend backend;
    private final Tensor tokenEmbedding;
    private final Tensor outputNorm;
    private final Tensor output;
    private final Tensor ropeFreqs;
    private final List<Layer> layers;
    private final List<Tensor> owned;

    private ModelWeights(ModelConfig config, Backend backend, Tensor tokenEmbedding, Tensor outputNorm, Tensor output,
                         Tensor ropeFreqs, List<Layer> layers, List<Tensor> owned) {
        this.config = config;
        this.backend = backend;
        this.tokenEmbedding = tokenEmbedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqs = ropeFreqs;
        this.layers = List.copyOf(layers);
        this.owned = owned;
    }

    /**
     * Makes backend tensors of every weight {@code config} needs.
     *
     * @throws ModelFormatException naming the tensor when one is missing, has the wrong shape, or has a type the
     *                              backend cannot compute with
     */
    public static ModelWeights load(GgufFile file, ModelConfig config, Backend backend) {
        Loader l = new Loader(file, backend);
        try {
            int embd = config.embeddingLength();
            int q = config.queryLength();
            int kv = config.kvLength();
            int ffn = config.feedForwardLength();
            Architecture arch = config.architecture();
            Tensor tokenEmbedding = l.matrix("token_embd.weight", embd, config.vocabSize(), Op.GET_ROWS);
            Tensor outputNorm = l.vector("output_norm.weight", embd);
            Tensor output = file.findTensor("output.weight").isPresent()
                    ? l.matrix("output.weight", embd, config.vocabSize(), Op.MATMUL)
                    : l.checkOp(tokenEmbedding, "token_embd.weight (tied output)", Op.MATMUL);
            Tensor ropeFreqs = arch.usesRopeFreqs() && file.findTensor("rope_freqs.weight").isPresent()
                    ? l.vector("rope_freqs.weight", config.rope().dims() / 2) : null;
            List<Layer> layers = new ArrayList<>(config.blockCount());
            for (int i = 0; i < config.blockCount(); i++) {
                String b = "blk." + i + ".";
                boolean bias = arch.requiresQkvBias();
                layers.add(new Layer(
                        l.vector(b + "attn_norm.weight", embd),
                        l.matrix(b + "attn_q.weight", embd, q, Op.MATMUL),
                        l.matrix(b + "attn_k.weight", embd, kv, Op.MATMUL),
                        l.matrix(b + "attn_v.weight", embd, kv, Op.MATMUL),
                        l.matrix(b + "attn_output.weight", q, embd, Op.MATMUL),
                        l.bias(b + "attn_q.bias", q, bias),
                        l.bias(b + "attn_k.bias", kv, bias),
                        l.bias(b + "attn_v.bias", kv, bias),
                        l.bias(b + "attn_output.bias", embd, false),
                        arch.hasQkNorm() ? l.vector(b + "attn_q_norm.weight", config.headDim()) : null,
                        arch.hasQkNorm() ? l.vector(b + "attn_k_norm.weight", config.headDim()) : null,
                        l.vector(b + "ffn_norm.weight", embd),
                        l.matrix(b + "ffn_gate.weight", embd, ffn, Op.MATMUL_SWIGLU),
                        l.matrix(b + "ffn_up.weight", embd, ffn, Op.MATMUL_SWIGLU),
                        l.matrix(b + "ffn_down.weight", ffn, embd, Op.MATMUL)));
            }
            return new ModelWeights(config, backend, tokenEmbedding, outputNorm, output, ropeFreqs, layers, l.owned);
        } catch (RuntimeException | Error e) {
            l.owned.forEach(backend::free);
            throw e;
        }
    }

    /** The configuration these weights were checked against. */
    public ModelConfig config() {
        return config;
    }

    /** The backend that holds the tensors. */
    public Backend backend() {
        return backend;
    }

    /** {@code token_embd.weight}: one row per token id. */
    public Tensor tokenEmbedding() {
        return tokenEmbedding;
    }

    /** {@code output_norm.weight}. */
    public Tensor outputNorm() {
        return outputNorm;
    }

    /** {@code output.weight}, or {@link #tokenEmbedding()} when the output is tied to the embedding. */
    public Tensor output() {
        return output;
    }

    /** Whether the file had no {@code output.weight}, so the embedding doubles as the classifier. */
    public boolean tiedOutput() {
        return output == tokenEmbedding;
    }

    /** {@code rope_freqs.weight} (Llama 3.1 RoPE frequency divisors), or null. */
    public Tensor ropeFreqs() {
        return ropeFreqs;
    }

    /** The transformer blocks, in order. */
    public List<Layer> layers() {
        return layers;
    }

    /** Frees every backend tensor these weights made. */
    @Override
    public void close() {
        owned.forEach(backend::free);
        owned.clear();
    }

    /** Looks tensors up, checks them and makes backend tensors; remembers what it made. */
    private static final class Loader {
        private final GgufFile file;
        private final Backend backend;
        private final String source;
        private final List<Tensor> owned = new ArrayList<>();

        Loader(GgufFile file, Backend backend) {
            this.file = file;
            this.backend = backend;
            this.source = file.path() == null ? "<memory>" : file.path().toString();
        }

        Tensor matrix(String name, int columns, int rows, Op op) {
            GgufTensorInfo info = require(name);
            if (info.rank() != 2 || info.dim(0) != columns || info.dim(1) != rows) {
                throw shape(info, "[" + columns + ", " + rows + "]");
            }
            return checkOp(make(info, columns, rows), name, op);
        }

        Tensor vector(String name, int length) {
            GgufTensorInfo info = require(name);
            if (info.rank() != 1 || info.dim(0) != length) {
                throw shape(info, "[" + length + "]");
            }
            if (info.type() != GgmlType.F32) {
                throw new ModelFormatException(source + ": tensor '" + name + "' has type " + info.type().ggmlName()
                        + ", expected f32");
            }
            return make(info, length, 1);
        }

        Tensor bias(String name, int length, boolean required) {
            if (!required && file.findTensor(name).isEmpty()) {
                return null;
            }
            return vector(name, length);
        }

        Tensor checkOp(Tensor t, String what, Op op) {
            if (!backend.supports(op, t.type())) {
                throw new ModelFormatException(source + ": tensor '" + what + "' has type " + t.type().ggmlName()
                        + ", which the " + backend.name() + " backend cannot use for " + op);
            }
            if (op == Op.MATMUL_SWIGLU && !backend.supports(Op.MATMUL, t.type())) {
                throw new ModelFormatException(source + ": tensor '" + what + "' has type " + t.type().ggmlName()
                        + ", which the " + backend.name() + " backend cannot multiply");
            }
            return t;
        }

        private GgufTensorInfo require(String name) {
            return file.findTensor(name).orElseThrow(() ->
                    new ModelFormatException(source + ": tensor '" + name + "' is missing"));
        }

        private ModelFormatException shape(GgufTensorInfo info, String expected) {
            return new ModelFormatException(source + ": tensor '" + info.name() + "' has shape " + info.shapeString()
                    + ", expected " + expected);
        }

        private Tensor make(GgufTensorInfo info, int columns, int rows) {
            if (!info.type().isSupported()) {
                throw new ModelFormatException(source + ": tensor '" + info.name() + "' has type "
                        + info.type().ggmlName() + ", which Ristretto cannot compute with");
            }
            Tensor t = backend.weight(info.name(), info.type(), columns, rows, file.tensorData(info));
            owned.add(t);
            return t;
        }
    }
}
