package org.ristretto.cpu.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;

/**
 * A plain scalar forward pass for tests: loops, double accumulation, a whole softmax row per query, RoPE from the
 * formula. It shares no code with the real path; its hyperparameters come from {@link Hyper}, which tests fill from
 * what they wrote (or from the outside file's metadata, read directly).
 *
 * <p>Two options reproduce what llama.cpp does on the CPU, to explain its numbers in tests that compare with it: with
 * {@code roundActivations}, the input of every product with Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 weights is first rounded as ggml
 * rounds it for its integer dot products (Q8_0 blocks: {@code d = amax/127}, round half away, fp16 scale); with
 * {@code llamaCppFlashAttention}, attention follows llama.cpp's flash-attention path, which casts an F32 KV cache to
 * F16 (llama-graph.cpp) and accumulates values in F16 (ggml-cpu).
 */
final class ReferenceTransformer {

    /**
     * The hyperparameters, as llama.cpp resolves them.
     *
     * @param neox       NeoX (halves) rather than interleaved RoPE pairs
     * @param freqScale  1 / scaling factor (linear or YaRN), 1 without scaling
     * @param yarn       YaRN ramp between interpolation and extrapolation, with magnitude {@code 1 + 0.1 ln(factor)}
     * @param origCtx    YaRN's original context
     */
    record Hyper(int embd, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab, double eps,
                 boolean neox, int ropeDims, double base, double freqScale, boolean yarn, int origCtx) {
    }

    private final Hyper h;
    private final Map<String, float[]> w;
    private final Map<String, GgmlType> types;
    private final boolean roundActivations;
    private final boolean llamaCppFlashAttention;

    /** An exact reference: float weights, unrounded activations, attention in double. */
    ReferenceTransformer(Hyper h, Map<String, float[]> weights, Map<String, GgmlType> types) {
        this(h, weights, types, false, false);
    }

    /**
     * @param roundActivations        round the inputs of quantized products as ggml does
     * @param llamaCppFlashAttention  attention with llama.cpp's F16 rounding (see {@link #attendHalf})
     */
    ReferenceTransformer(Hyper h, Map<String, float[]> weights, Map<String, GgmlType> types,
                         boolean roundActivations, boolean llamaCppFlashAttention) {
        this.h = h;
        this.w = weights;
        this.types = types;
        this.roundActivations = roundActivations;
        this.llamaCppFlashAttention = llamaCppFlashAttention;
    }

    /** Every tensor of {@code file}, dequantized, by name; and the types into {@code types}. */
    static Map<String, float[]> readAll(GgufFile file, Map<String, GgmlType> types) {
        Map<String, float[]> m = new HashMap<>();
        for (GgufTensorInfo t : file.tensors()) {
            float[] values = new float[Math.toIntExact(t.elementCount())];
            QuantFormats.of(t.type()).dequantize(file.tensorData(t), 0, values, 0, values.length);
            m.put(t.name(), values);
            types.put(t.name(), t.type());
        }
        return m;
    }

    /** Logits at every position of {@code tokens}, processed from position 0. */
    double[][] forward(int[] tokens) {
        int n = tokens.length;
        int hd = h.headDim();
        int kvw = h.kvHeads() * hd;
        double[][][] keys = new double[h.layers()][n][];
        double[][][] values = new double[h.layers()][n][];
        double[][] logits = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            double[] x = row(w.get("token_embd.weight"), tokens[pos], h.embd());
            for (int l = 0; l < h.layers(); l++) {
                String b = "blk." + l + ".";
                double[] xn = rmsNorm(x, w.get(b + "attn_norm.weight"));
                double[] q = linear(b + "attn_q", xn, h.heads() * hd);
                double[] k = linear(b + "attn_k", xn, kvw);
                double[] v = linear(b + "attn_v", xn, kvw);
                if (w.containsKey(b + "attn_q_norm.weight")) {
                    q = headNorm(q, w.get(b + "attn_q_norm.weight"));
                    k = headNorm(k, w.get(b + "attn_k_norm.weight"));
                }
                rope(q, pos);
                rope(k, pos);
                if (llamaCppFlashAttention) {
                    q = f16(q);
                    k = f16(k);
                    v = f16(v);
                }
                keys[l][pos] = k;
                values[l][pos] = v;
                double[] att = llamaCppFlashAttention ? attendHalf(q, keys[l], values[l], pos)
                        : attend(q, keys[l], values[l], pos);
                double[] o = linear(b + "attn_output", att, h.embd());
                for (int i = 0; i < x.length; i++) {
                    x[i] += o[i];
                }
                double[] fn = rmsNorm(x, w.get(b + "ffn_norm.weight"));
                double[] gate = linear(b + "ffn_gate", fn, h.ffn());
                double[] up = linear(b + "ffn_up", fn, h.ffn());
                double[] hidden = new double[h.ffn()];
                for (int i = 0; i < hidden.length; i++) {
                    hidden[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = linear(b + "ffn_down", hidden, h.embd());
                for (int i = 0; i < x.length; i++) {
                    x[i] += down[i];
                }
            }
            double[] xn = rmsNorm(x, w.get("output_norm.weight"));
            String out = w.containsKey("output.weight") ? "output" : "token_embd";
            logits[pos] = linear(out, xn, h.vocab());
        }
        return logits;
    }

    private double[] attend(double[] q, double[][] keys, double[][] values, int pos) {
        int hd = h.headDim();
        int group = h.heads() / h.kvHeads();
        double[] out = new double[h.heads() * hd];
        double scale = 1 / Math.sqrt(hd);
        for (int head = 0; head < h.heads(); head++) {
            int g = head / group;
            double[] s = new double[pos + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p <= pos; p++) {
                double dot = 0;
                for (int i = 0; i < hd; i++) {
                    dot += q[head * hd + i] * keys[p][g * hd + i];
                }
                s[p] = dot * scale;
                max = Math.max(max, s[p]);
            }
            double sum = 0;
            for (int p = 0; p <= pos; p++) {
                s[p] = Math.exp(s[p] - max);
                sum += s[p];
            }
            for (int p = 0; p <= pos; p++) {
                for (int i = 0; i < hd; i++) {
                    out[head * hd + i] += s[p] / sum * values[p][g * hd + i];
                }
            }
        }
        return out;
    }

    /**
     * Attention as llama.cpp computes it on the CPU with flash attention: Q, K and V in F16 (they were rounded by the
     * caller), scores in float, and the weighted sum of values kept in an F16 accumulator that is rounded after every
     * rescale and every added value, with the running maximum and sum in float.
     */
    private double[] attendHalf(double[] q, double[][] keys, double[][] values, int pos) {
        int hd = h.headDim();
        int group = h.heads() / h.kvHeads();
        double[] out = new double[h.heads() * hd];
        float scale = (float) (1 / Math.sqrt(hd));
        for (int head = 0; head < h.heads(); head++) {
            int g = head / group;
            float[] acc = new float[hd];
            float max = Float.NEGATIVE_INFINITY;
            float sum = 0;
            for (int p = 0; p <= pos; p++) {
                double dot = 0;
                for (int i = 0; i < hd; i++) {
                    dot += q[head * hd + i] * keys[p][g * hd + i];
                }
                float s = (float) dot * scale;
                float ms = 1;
                float vs = 1;
                if (s > max) {
                    ms = (float) Math.exp(max - s);
                    max = s;
                    for (int i = 0; i < hd; i++) {
                        acc[i] = Fp16.round(acc[i] * ms);
                    }
                } else {
                    vs = (float) Math.exp(s - max);
                }
                for (int i = 0; i < hd; i++) {
                    acc[i] = Fp16.round(Math.fma((float) values[p][g * hd + i], vs, acc[i]));
                }
                sum = sum * ms + vs;
            }
            for (int i = 0; i < hd; i++) {
                out[head * hd + i] = acc[i] / sum;
            }
        }
        return out;
    }

    private void rope(double[] x, int pos) {
        int hd = h.headDim();
        int d = h.ropeDims();
        double low = 0;
        double high = 0;
        double mscale = 1;
        if (h.yarn()) {
            low = Math.max(0, Math.floor(corrDim(d, h.origCtx(), 32, h.base())));
            high = Math.min(d - 1, Math.ceil(corrDim(d, h.origCtx(), 1, h.base())));
            mscale = 1 + 0.1 * Math.log(1 / h.freqScale());
        }
        float[] factors = w.get("rope_freqs.weight");
        for (int head = 0; head < x.length / hd; head++) {
            int at = head * hd;
            for (int i = 0; i < d / 2; i++) {
                double extrap = pos * Math.pow(h.base(), -2.0 * i / d) / (factors == null ? 1 : factors[i]);
                double theta = h.freqScale() * extrap;
                if (h.yarn()) {
                    double mix = 1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
                    theta = theta * (1 - mix) + extrap * mix;
                }
                int a = at + (h.neox() ? i : 2 * i);
                int b = at + (h.neox() ? i + d / 2 : 2 * i + 1);
                double x0 = x[a];
                double x1 = x[b];
                x[a] = (x0 * Math.cos(theta) - x1 * Math.sin(theta)) * mscale;
                x[b] = (x0 * Math.sin(theta) + x1 * Math.cos(theta)) * mscale;
            }
        }
    }

    private static double corrDim(int dims, int origCtx, double rotations, double base) {
        return dims * Math.log(origCtx / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** {@code W·x (+ bias)} for the weight {@code name.weight} of {@code rows} rows. */
    private double[] linear(String name, double[] x, int rows) {
        float[] m = w.get(name + ".weight");
        double[] in = x;
        GgmlType t = types.get(name + ".weight");
        if (roundActivations && (t == GgmlType.Q4_0 || t == GgmlType.Q4_1 || t == GgmlType.Q5_0
                || t == GgmlType.Q5_1 || t == GgmlType.Q8_0)) {
            in = roundQ8(x);
        }
        int cols = x.length;
        double[] out = new double[rows];
        float[] bias = w.get(name + ".bias");
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += (double) m[r * cols + c] * in[c];
            }
            out[r] = s + (bias == null ? 0 : bias[r]);
        }
        return out;
    }

    /** {@code x} as ggml's Q8_0 activation blocks hold it. */
    private static double[] roundQ8(double[] x) {
        QuantFormat q8 = QuantFormats.of(GgmlType.Q8_0);
        float[] f = new float[x.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) x[i];
        }
        float[] back = new float[x.length];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blocks = arena.allocate(GgmlType.Q8_0.byteSize(x.length));
            q8.quantize(f, 0, blocks, 0, x.length);
            q8.dequantize(blocks, 0, back, 0, x.length);
        }
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = back[i];
        }
        return r;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + h.eps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    private double[] headNorm(double[] x, float[] weight) {
        int hd = weight.length;
        double[] out = new double[x.length];
        for (int at = 0; at < x.length; at += hd) {
            double ss = 0;
            for (int i = 0; i < hd; i++) {
                ss += x[at + i] * x[at + i];
            }
            double scale = 1 / Math.sqrt(ss / hd + h.eps());
            for (int i = 0; i < hd; i++) {
                out[at + i] = x[at + i] * scale * weight[i];
            }
        }
        return out;
    }

    private static double[] f16(double[] x) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = Fp16.round((float) x[i]);
        }
        return r;
    }

    private static double[] row(float[] m, int r, int cols) {
        double[] out = new double[cols];
        for (int i = 0; i < cols; i++) {
            out[i] = m[r * cols + i];
        }
        return out;
    }
}
