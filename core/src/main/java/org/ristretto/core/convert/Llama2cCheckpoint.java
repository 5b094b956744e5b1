package org.ristretto.core.convert;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each weight of a llama2.c version-0 checkpoint lies, in {@code run.c}'s order, under llama.cpp's tensor
 * names. The file must hold exactly what its header describes: no byte short, no byte extra.
 *
 * <p>llama2.c stores each matrix row-major with one row per output, which is ggml's layout for a tensor of dims
 * {@code {inputs, outputs}}, so every tensor is a plain slice of the file. Its RoPE rotates adjacent pairs, as
 * llama.cpp's normal (non-NeoX) mode for the {@code llama} architecture does, so Q and K are not permuted (llama.cpp's
 * convert-llama2c-to-ggml copies them unchanged too).
 */
final class Llama2cCheckpoint {

    /** One tensor: its llama.cpp name, ggml dims (row length first), and its bytes in the checkpoint. */
    record Tensor(String name, long[] dims, long offset, long bytes) {}

    private final Llama2cConfig config;
    private final List<Tensor> tensors;

    private Llama2cCheckpoint(Llama2cConfig config, List<Tensor> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    Llama2cConfig config() {
        return config;
    }

    /** The tensors in GGUF order: the embedding, each block, the final norm, then the classifier if it is its own. */
    List<Tensor> tensors() {
        return tensors;
    }

    /**
     * Reads the header and lays the weights out over {@code content}.
     *
     * @throws Llama2cFormatException if the header is invalid or the file size does not match it
     */
    static Llama2cCheckpoint read(Path file, MemorySegment content) {
        Llama2cConfig c = Llama2cConfig.read(file, content);
        Layout layout = new Layout(file, content.byteSize(), c);
        long dim = c.dim();
        long hidden = c.hiddenDim();
        long kv = c.kvDim();
        int n = c.layers();

        long embd = layout.take("token_embedding_table", product(dim, c.vocabSize()));
        long attnNorm = layout.take("rms_att_weight", product(n, dim));
        long wq = layout.take("wq", product(n, dim, dim));
        long wk = layout.take("wk", product(n, dim, kv));
        long wv = layout.take("wv", product(n, dim, kv));
        long wo = layout.take("wo", product(n, dim, dim));
        long ffnNorm = layout.take("rms_ffn_weight", product(n, dim));
        long w1 = layout.take("w1", product(n, dim, hidden));
        long w2 = layout.take("w2", product(n, hidden, dim));
        long w3 = layout.take("w3", product(n, dim, hidden));
        long finalNorm = layout.take("rms_final_weight", dim);
        layout.take("freq_cis_real and freq_cis_imag (unused RoPE tables)", product(c.seqLen(), c.headSize()));
        long cls = c.sharedClassifier() ? -1 : layout.take("wcls (the unshared classifier)", product(dim, c.vocabSize()));
        layout.requireEnd();

        List<Tensor> t = new ArrayList<>();
        t.add(tensor("token_embd.weight", embd, 0, dim, c.vocabSize()));
        for (int i = 0; i < n; i++) {
            String blk = "blk." + i + ".";
            t.add(tensor(blk + "attn_norm.weight", attnNorm, i, dim));
            t.add(tensor(blk + "attn_q.weight", wq, i, dim, dim));
            t.add(tensor(blk + "attn_k.weight", wk, i, dim, kv));
            t.add(tensor(blk + "attn_v.weight", wv, i, dim, kv));
            t.add(tensor(blk + "attn_output.weight", wo, i, dim, dim));
            t.add(tensor(blk + "ffn_norm.weight", ffnNorm, i, dim));
            t.add(tensor(blk + "ffn_gate.weight", w1, i, dim, hidden));
            t.add(tensor(blk + "ffn_down.weight", w2, i, hidden, dim));
            t.add(tensor(blk + "ffn_up.weight", w3, i, dim, hidden));
        }
        t.add(tensor("output_norm.weight", finalNorm, 0, dim));
        if (!c.sharedClassifier()) {
            t.add(tensor("output.weight", cls, 0, dim, c.vocabSize()));
        }
        return new Llama2cCheckpoint(c, List.copyOf(t));
    }

    /** The product of sizes from the header, or {@code Long.MAX_VALUE} when it overflows (no file is that big). */
    private static long product(long... factors) {
        long p = 1;
        try {
            for (long f : factors) {
                p = Math.multiplyExact(p, f);
            }
            return p;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The {@code index}-th of a run of equal float32 tensors starting at {@code base}. */
    private static Tensor tensor(String name, long base, int index, long... dims) {
        long elements = 1;
        for (long d : dims) {
            elements *= d;
        }
        long bytes = elements * Float.BYTES;
        return new Tensor(name, dims, base + index * bytes, bytes);
    }

    /** Walks the file from the header on, checking that each array fits before it is used. */
    private static final class Layout {
        private final Path file;
        private final long fileSize;
        private final Llama2cConfig config;
        private long at = Llama2cConfig.HEADER_BYTES;

        Layout(Path file, long fileSize, Llama2cConfig config) {
            this.file = file;
            this.fileSize = fileSize;
            this.config = config;
        }

        /** Claims {@code floats} float32 values for the named array; returns where they start. */
        long take(String what, long floats) {
            long start = at;
            long end;
            try {
                end = Math.addExact(start, Math.multiplyExact(floats, Float.BYTES));
            } catch (ArithmeticException e) {
                end = Long.MAX_VALUE;
            }
            if (end > fileSize) {
                throw new Llama2cFormatException(file, start, what + " needs bytes " + start + " to " + end
                        + " but the file ends at " + fileSize + " (truncated, or the header " + describe()
                        + " does not describe this file)");
            }
            at = end;
            return start;
        }

        void requireEnd() {
            if (at != fileSize) {
                throw new Llama2cFormatException(file, at, (fileSize - at) + " bytes follow the last weight: the header "
                        + describe() + " describes a " + at + "-byte file but this one has " + fileSize + " bytes");
            }
        }

        private String describe() {
            return "(dim " + config.dim() + ", hidden_dim " + config.hiddenDim() + ", n_layers " + config.layers()
                    + ", n_heads " + config.heads() + ", n_kv_heads " + config.kvHeads() + ", vocab_size "
                    + (config.sharedClassifier() ? "" : "-") + config.vocabSize() + ", seq_len " + config.seqLen() + ")";
        }
    }
}
