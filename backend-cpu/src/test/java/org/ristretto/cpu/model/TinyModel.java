package org.ristretto.cpu.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.ristretto.core.gguf.GgufWriter;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;

/**
 * A small random-weight model of a given architecture, written as GGUF with {@link GgufWriter}, together with the
 * weights exactly as stored (after rounding to the weight type) and the {@link ReferenceTransformer.Hyper} that
 * describes it, for the scalar reference forward pass.
 *
 * @param arch        "llama", "qwen2" or "qwen3"
 * @param headDim     written as {@code attention.key_length} when it differs from {@code embd / heads}
 * @param ropeDims    {@code rope.dimension_count}, 0 to leave it out (= headDim)
 * @param scaling     null, "linear" or "yarn" ({@code rope.scaling.type})
 * @param ropeFreqs   write a Llama 3.1 style {@code rope_freqs.weight}
 * @param weightType  the type of the 2-D weights (norms and biases stay F32)
 */
record TinyModel(String arch, int embd, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab,
                 int context, float base, int ropeDims, String scaling, float factor, int origCtx, boolean tied,
                 boolean ropeFreqs, GgmlType weightType, long seed) {

    /** Writes the model to {@code file}; returns the stored weights by tensor name and puts their types in {@code types}. */
    Map<String, float[]> write(Path file, Map<String, GgmlType> types) throws IOException {
        Random rnd = new Random(seed);
        Map<String, float[]> stored = new LinkedHashMap<>();
        GgufWriter gw = new GgufWriter();
        String p = arch + ".";
        gw.putString("general.architecture", arch);
        gw.putUInt32(p + "context_length", context);
        gw.putUInt32(p + "embedding_length", embd);
        gw.putUInt32(p + "block_count", layers);
        gw.putUInt32(p + "feed_forward_length", ffn);
        gw.putUInt32(p + "attention.head_count", heads);
        gw.putUInt32(p + "attention.head_count_kv", kvHeads);
        gw.putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-6f);
        gw.putFloat32(p + "rope.freq_base", base);
        if (headDim != embd / heads) {
            gw.putUInt32(p + "attention.key_length", headDim);
            gw.putUInt32(p + "attention.value_length", headDim);
        }
        if (ropeDims > 0) {
            gw.putUInt32(p + "rope.dimension_count", ropeDims);
        }
        if (scaling != null) {
            gw.putString(p + "rope.scaling.type", scaling);
            gw.putFloat32(p + "rope.scaling.factor", factor);
            gw.putUInt32(p + "rope.scaling.original_context_length", origCtx);
        }
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        Writer t = new Writer(gw, rnd, stored, types, weightType);
        t.matrix("token_embd.weight", embd, vocab, 1.0);
        t.norm("output_norm.weight", embd);
        if (!tied) {
            t.matrix("output.weight", embd, vocab, 1 / Math.sqrt(embd));
        }
        if (ropeFreqs) {
            t.f32("rope_freqs.weight", llama3Factors());
        }
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            t.norm(b + "attn_norm.weight", embd);
            t.matrix(b + "attn_q.weight", embd, q, 1 / Math.sqrt(embd));
            t.matrix(b + "attn_k.weight", embd, kv, 1 / Math.sqrt(embd));
            t.matrix(b + "attn_v.weight", embd, kv, 1 / Math.sqrt(embd));
            t.matrix(b + "attn_output.weight", q, embd, 1 / Math.sqrt(q));
            if (arch.equals("qwen2")) {
                t.bias(b + "attn_q.bias", q);
                t.bias(b + "attn_k.bias", kv);
                t.bias(b + "attn_v.bias", kv);
            }
            if (arch.equals("qwen3")) {
                t.norm(b + "attn_q_norm.weight", headDim);
                t.norm(b + "attn_k_norm.weight", headDim);
            }
            t.norm(b + "ffn_norm.weight", embd);
            t.matrix(b + "ffn_gate.weight", embd, ffn, 1 / Math.sqrt(embd));
            t.matrix(b + "ffn_up.weight", embd, ffn, 1 / Math.sqrt(embd));
            t.matrix(b + "ffn_down.weight", ffn, embd, 1 / Math.sqrt(ffn));
        }
        gw.write(file);
        return stored;
    }

    /** The hyperparameters the reference needs, stated from what was written (not read back). */
    ReferenceTransformer.Hyper hyper() {
        boolean yarn = "yarn".equals(scaling);
        double freqScale = scaling == null ? 1 : 1 / (double) factor;
        return new ReferenceTransformer.Hyper(embd, layers, heads, kvHeads, headDim, ffn, vocab, 1e-6,
                !arch.equals("llama"), ropeDims > 0 ? ropeDims : headDim, base, freqScale, yarn,
                origCtx > 0 ? origCtx : context);
    }

    /** Llama 3.1's frequency divisors (factor 8, low/high frequency factors 1 and 4, original context 32). */
    private float[] llama3Factors() {
        int dims = ropeDims > 0 ? ropeDims : headDim;
        float[] f = new float[dims / 2];
        double oldCtx = 32;
        for (int i = 0; i < f.length; i++) {
            double freq = Math.pow(base, -2.0 * i / dims);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < oldCtx / 4) {
                f[i] = 1;
            } else if (wavelen > oldCtx) {
                f[i] = 8;
            } else {
                double smooth = (oldCtx / wavelen - 1) / (4 - 1);
                f[i] = (float) (1 / ((1 - smooth) / 8 + smooth));
            }
        }
        return f;
    }

    /** Adds tensors to the writer and records them as stored. */
    private record Writer(GgufWriter gw, Random rnd, Map<String, float[]> stored, Map<String, GgmlType> types,
                          GgmlType weightType) {

        void matrix(String name, int cols, int rows, double sigma) {
            float[] v = new float[cols * rows];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rnd.nextGaussian() * sigma);
            }
            put(name, new long[] {cols, rows}, v, weightType);
        }

        void norm(String name, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (1 + 0.2 * rnd.nextGaussian());
            }
            f32(name, v);
        }

        void bias(String name, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (0.3 * rnd.nextGaussian());
            }
            f32(name, v);
        }

        void f32(String name, float[] v) {
            put(name, new long[] {v.length}, v, GgmlType.F32);
        }

        private void put(String name, long[] dims, float[] v, GgmlType type) {
            QuantFormat f = QuantFormats.of(type);
            MemorySegment data = Arena.ofAuto().allocate(type.byteSize(v.length));
            f.quantize(v, 0, data, 0, v.length);
            float[] back = new float[v.length];
            f.dequantize(data, 0, back, 0, v.length);
            gw.addTensor(name, type, dims, data);
            stored.put(name, back);
            types.put(name, type);
        }
    }
}
