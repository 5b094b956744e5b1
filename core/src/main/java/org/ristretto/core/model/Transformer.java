package org.ristretto.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;

/**
 * The decoder-only transformer forward pass of every supported architecture, driven by a {@link ModelConfig} and
 * written only against {@link Backend}, so each backend runs the same code.
 *
 * <p>A call processes a batch of tokens at consecutive positions: prefill is matrix×matrix in steps of at most
 * {@link TransformerOptions#batchSize()} tokens, decoding is the same with one token. Keys and values go into a
 * backend {@link KvCache}; the caller tracks how many positions are valid (writing again from an earlier position
 * rewinds). Activation buffers are allocated once, for the largest batch; smaller batches use row views of them.
 *
 * <p>Not thread-safe: one forward pass at a time.
 */
public final class Transformer implements AutoCloseable {
    private final ModelWeights weights;
    private final ModelConfig config;
    private final Backend backend;
    private final int contextLength;
    private final int maxBatch;
    private final KvCache cache;
    private final RopeSpec rope;
    private final List<Tensor> owned = new ArrayList<>();
    private final Activations full;
    private final Tensor logitsLast;
    /** Each layer's query, key and value weights, for {@link Backend#matmulMany} (made once, not per token). */
    private final Tensor[][] qkvWeights;
    private Tensor logitsAll;
    private Activations single;
    private Activations recent;

    /**
     * Allocates the KV cache and activation buffers on the weights' backend.
     *
     * @throws IllegalArgumentException when the backend cannot hold a cache of the requested type
     * @throws org.ristretto.core.backend.BackendException when the device lacks memory
     */
    public Transformer(ModelWeights weights, TransformerOptions options) {
        this.weights = weights;
        this.config = weights.config();
        this.backend = weights.backend();
        this.contextLength = options.resolveContextLength(config.contextLength());
        this.maxBatch = Math.min(options.batchSize(), contextLength);
        if (!backend.supports(Op.STORE_KV, options.kvCacheType())
                || !backend.supports(Op.ATTENTION, options.kvCacheType())) {
            throw new IllegalArgumentException("the " + backend.name() + " backend has no "
                    + options.kvCacheType().ggmlName() + " KV cache");
        }
        this.rope = config.rope().toSpec(weights.ropeFreqs());
        this.qkvWeights = weights.layers().stream().map(l -> new Tensor[] {l.wq(), l.wk(), l.wv()})
                .toArray(Tensor[][]::new);
        KvCache kv = backend.allocateKvCache(new KvCacheSpec(config.blockCount(), contextLength,
                config.headCountKv(), config.headDim(), options.kvCacheType()));
        try {
            this.full = allocateActivations(maxBatch);
            this.logitsLast = allocate("act.logits", config.vocabSize(), 1);
        } catch (RuntimeException | Error e) {
            owned.forEach(backend::free);
            kv.close();
            throw e;
        }
        this.cache = kv;
    }

    /** The model's configuration. */
    public ModelConfig config() {
        return config;
    }

    /** Positions the KV cache holds: {@code startPos + tokens.length} may not exceed it. */
    public int contextLength() {
        return contextLength;
    }

    /** The most tokens one prefill step processes. */
    public int batchSize() {
        return maxBatch;
    }

    /**
     * Runs {@code tokens} at positions {@code startPos, startPos + 1, ...} and returns their logits: the last token's
     * ({@code vocabSize} floats) or, with {@code allLogits}, every token's ({@code tokens.length × vocabSize}, token
     * by token).
     *
     * @throws ContextOverflowException when {@code startPos + tokens.length} exceeds {@link #contextLength()}
     * @throws IllegalArgumentException for an empty batch, a negative position or a token id out of the vocabulary
     */
    public float[] forward(int[] tokens, int startPos, boolean allLogits) {
        int vocab = config.vocabSize();
        float[] result = new float[allLogits ? tokens.length * vocab : vocab];
        forward(tokens, startPos, allLogits, result);
        return result;
    }

    /**
     * Runs {@code tokens} like {@link #forward(int[], int, boolean)} with the last token's logits written to
     * {@code logits[0 .. vocabSize)}: a decoding loop reuses one array instead of allocating half a megabyte per token
     * for a 128k vocabulary, which the young collector then has to clear.
     *
     * @throws IllegalArgumentException as {@link #forward(int[], int, boolean)} does, and for an array shorter than
     *     the vocabulary
     */
    public void forward(int[] tokens, int startPos, float[] logits) {
        if (logits.length < config.vocabSize()) {
            throw new IllegalArgumentException("logits need " + config.vocabSize() + " floats, the array has "
                    + logits.length);
        }
        forward(tokens, startPos, false, logits);
    }

    private void forward(int[] tokens, int startPos, boolean allLogits, float[] result) {
        check(tokens, startPos);
        int vocab = config.vocabSize();
        for (int from = 0; from < tokens.length; from += maxBatch) {
            int n = Math.min(maxBatch, tokens.length - from);
            boolean lastChunk = from + n == tokens.length;
            Activations a = run(tokens, from, n, startPos + from,
                    allLogits ? Outputs.ALL : lastChunk ? Outputs.LAST : Outputs.NONE);
            if (allLogits) {
                backend.matmul(weights.output(), a.xb, a.logits());
                backend.read(a.logits(), result, from * vocab);
            } else if (lastChunk) {
                backend.matmul(weights.output(), a.xbLast, logitsLast);
                backend.read(logitsLast, result, 0);
            }
        }
    }

    /**
     * Runs {@code tokens} like {@link #forward} and returns the id of the last token's largest logit, computed on the
     * backend so only one int is read back.
     */
    public int forwardGreedy(int[] tokens, int startPos) {
        check(tokens, startPos);
        Activations a = null;
        for (int from = 0; from < tokens.length; from += maxBatch) {
            int n = Math.min(maxBatch, tokens.length - from);
            a = run(tokens, from, n, startPos + from, from + n == tokens.length ? Outputs.LAST : Outputs.NONE);
        }
        backend.matmul(weights.output(), a.xbLast, logitsLast);
        return backend.argmax(logitsLast)[0];
    }

    /** Frees the KV cache and the activation buffers (not the weights). */
    @Override
    public void close() {
        owned.forEach(backend::free);
        owned.clear();
        cache.close();
    }

    private void check(int[] tokens, int startPos) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a forward pass needs at least one token");
        }
        if (startPos < 0) {
            throw new IllegalArgumentException("start position must be >= 0, got " + startPos);
        }
        if ((long) startPos + tokens.length > contextLength) {
            throw new ContextOverflowException(contextLength, startPos + tokens.length);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token " + i + " has id " + tokens[i]
                        + ", outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    /** Which tokens of a batch need the final hidden state: every one, only the last, or none (logits unused). */
    private enum Outputs { ALL, LAST, NONE }

    /**
     * The layers of one batch of {@code n} tokens from {@code tokens[from]}; leaves the final norm of the rows that
     * {@code outputs} asks for in {@code xb} (the last row in {@code xbLast}).
     *
     * <p>The last layer's feed-forward block only feeds the output, not the KV cache, so (as llama.cpp does) it runs
     * for the rows whose hidden state is read: one token of a prefill, not all of them. For a 16-layer model that is
     * a sixteenth of the feed-forward work of a prompt.
     */
    private Activations run(int[] tokens, int from, int n, int pos, Outputs outputs) {
        Activations a = activations(n);
        int[] ids = from == 0 && n == tokens.length ? tokens : Arrays.copyOfRange(tokens, from, from + n);
        backend.getRows(weights.tokenEmbedding(), ids, a.x);
        float eps = config.rmsEps();
        int last = config.blockCount() - 1;
        for (int l = 0; l <= last; l++) {
            ModelWeights.Layer w = weights.layers().get(l);
            attentionBlock(w, l, pos, a);
            if (l < last || outputs == Outputs.ALL) {
                feedForwardBlock(w, a.x, a);
            } else if (outputs == Outputs.LAST) {
                // For one token, xLast is x and activations(1) is a itself.
                feedForwardBlock(w, a.xLast, activations(1));
            }
        }
        switch (outputs) {
            case ALL -> backend.rmsNorm(a.x, weights.outputNorm(), eps, a.xb);
            case LAST -> backend.rmsNorm(a.xLast, weights.outputNorm(), eps, a.xbLast);
            case NONE -> { }
        }
        return a;
    }

    /** Attention of layer {@code l} over the batch, its keys and values stored, its output added to {@code a.x}. */
    private void attentionBlock(ModelWeights.Layer w, int l, int pos, Activations a) {
        float eps = config.rmsEps();
        backend.rmsNorm(a.x, w.attnNorm(), eps, a.xb);
        backend.matmulMany(qkvWeights[l], a.xb, a.qkv);
        addBias(a.q, w.bq());
        addBias(a.k, w.bk());
        addBias(a.v, w.bv());
        if (w.qNorm() != null) {
            backend.rmsNorm(a.q, w.qNorm(), eps, a.q);
            backend.rmsNorm(a.k, w.kNorm(), eps, a.k);
        }
        backend.rope(a.q, config.headDim(), pos, rope);
        backend.rope(a.k, config.headDim(), pos, rope);
        backend.storeKv(cache, l, pos, a.k, a.v);
        backend.attention(a.q, cache, l, pos, config.headCount(), config.attentionScale(), a.att);
        projection(w.wo(), w.bo(), a.att, a.proj);
        backend.add(a.x, a.proj, a.x);
    }

    /** The feed-forward block on the rows of {@code x}, with {@code scratch}'s buffers (as many rows) in between. */
    private void feedForwardBlock(ModelWeights.Layer w, Tensor x, Activations scratch) {
        backend.rmsNorm(x, w.ffnNorm(), config.rmsEps(), scratch.xb);
        backend.matmulSwiGlu(w.ffnGate(), w.ffnUp(), scratch.xb, scratch.hidden);
        backend.matmul(w.ffnDown(), scratch.hidden, scratch.proj);
        backend.add(x, scratch.proj, x);
    }

    private void projection(Tensor w, Tensor bias, Tensor in, Tensor out) {
        backend.matmul(w, in, out);
        addBias(out, bias);
    }

    private void addBias(Tensor out, Tensor bias) {
        if (bias != null) {
            backend.add(out, bias, out);
        }
    }

    /** Views of the full buffers for a batch of {@code n}; the one-token set and the latest other set are kept. */
    private Activations activations(int n) {
        if (n == maxBatch) {
            return full;
        }
        if (n == 1) {
            if (single == null) {
                single = full.rows(1);
            }
            return single;
        }
        if (recent == null || recent.n != n) {
            recent = full.rows(n);
        }
        return recent;
    }

    private Activations allocateActivations(int n) {
        return new Activations(n,
                allocate("act.x", config.embeddingLength(), n),
                allocate("act.xb", config.embeddingLength(), n),
                allocate("act.q", config.queryLength(), n),
                allocate("act.k", config.kvLength(), n),
                allocate("act.v", config.kvLength(), n),
                allocate("act.att", config.queryLength(), n),
                allocate("act.proj", config.embeddingLength(), n),
                allocate("act.ffn_hidden", config.feedForwardLength(), n));
    }

    private Tensor allocate(String name, int columns, int rows) {
        Tensor t = backend.allocate(name, columns, rows);
        owned.add(t);
        return t;
    }

    /** Every-token logits for the full batch, allocated on first use (vocab × batch can be large). */
    private Tensor logitsAll() {
        if (logitsAll == null) {
            logitsAll = allocate("act.logits_all", config.vocabSize(), maxBatch);
        }
        return logitsAll;
    }

    /** The activation tensors of one batch size. */
    private final class Activations {
        final int n;
        final Tensor x;
        final Tensor xb;
        final Tensor q;
        final Tensor k;
        final Tensor v;
        /** {@code q}, {@code k} and {@code v}, the outputs of one {@link Backend#matmulMany}. */
        final Tensor[] qkv;
        final Tensor att;
        final Tensor proj;
        final Tensor hidden;
        final Tensor xLast;
        final Tensor xbLast;
        private Tensor logits;

        Activations(int n, Tensor x, Tensor xb, Tensor q, Tensor k, Tensor v, Tensor att, Tensor proj,
                    Tensor hidden) {
            this.n = n;
            this.x = x;
            this.xb = xb;
            this.q = q;
            this.k = k;
            this.v = v;
            this.qkv = new Tensor[] {q, k, v};
            this.att = att;
            this.proj = proj;
            this.hidden = hidden;
            this.xLast = n == 1 ? x : backend.view(x, n - 1, 1);
            this.xbLast = n == 1 ? xb : backend.view(xb, n - 1, 1);
        }

        /** Row views of the first {@code rows} rows. */
        Activations rows(int rows) {
            return new Activations(rows, view(x, rows), view(xb, rows), view(q, rows), view(k, rows), view(v, rows),
                    view(att, rows), view(proj, rows), view(hidden, rows));
        }

        Tensor logits() {
            if (logits == null) {
                Tensor all = logitsAll();
                logits = n == maxBatch ? all : backend.view(all, 0, n);
            }
            return logits;
        }

        private Tensor view(Tensor t, int rows) {
            return backend.view(t, 0, rows);
        }
    }
}
