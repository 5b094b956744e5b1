package org.ristretto.core.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One tensor of a synthetic model: its llama.cpp name, shape, and how its values are made.
 *
 * @param name   the GGUF tensor name ({@code blk.3.attn_v.weight})
 * @param dims   ggml order: {@code dims[0]} is the row length (the input width of a projection)
 * @param init   how the values are made
 * @param std    the standard deviation of {@link Init#NORMAL} values
 */
record SynthTensor(String name, long[] dims, Init init, double std) {

    /** How a tensor's values are made. */
    enum Init {
        /** Seeded normal values of deviation {@code std}. */
        NORMAL,
        /** All ones: the norms' weights, as a freshly initialised model has them. */
        ONES,
        /** llama3 RoPE frequency factors, computed from the preset as llama.cpp's converter does. */
        ROPE_FACTORS
    }

    long rows() {
        long r = 1;
        for (int i = 1; i < dims.length; i++) {
            r *= dims[i];
        }
        return r;
    }

    long elements() {
        return dims[0] * rows();
    }

    /**
     * The tensors of a preset's model, in the order they are written.
     *
     * <p>Scales keep activations near unit size whatever the depth: projections get a deviation of
     * {@code 1/sqrt(inputs)}, so that a normalised input gives outputs of about unit variance; the two projections
     * that add into the residual stream ({@code attn_output}, {@code ffn_down}) get a further {@code 1/sqrt(2 *
     * layers)}, so that the stream grows to about twice its start over all layers; the embedding's
     * {@code 1/sqrt(embedding)} makes tied output logits about unit variance. Norm weights are ones.
     */
    static List<SynthTensor> of(SynthPreset p, int vocab) {
        long e = p.embedding();
        double proj = 1 / Math.sqrt(e);
        double residual = 1 / Math.sqrt(2.0 * p.layers());
        List<SynthTensor> t = new ArrayList<>();
        Optional<SynthPreset.Llama3RopeScaling> scaling = p.ropeScaling();
        if (scaling.isPresent()) {
            t.add(new SynthTensor("rope_freqs.weight", new long[] {p.headDim() / 2}, Init.ROPE_FACTORS, 0));
        }
        t.add(new SynthTensor("token_embd.weight", new long[] {e, vocab}, Init.NORMAL, proj));
        for (int i = 0; i < p.layers(); i++) {
            String b = "blk." + i + ".";
            t.add(new SynthTensor(b + "attn_norm.weight", new long[] {e}, Init.ONES, 0));
            t.add(new SynthTensor(b + "attn_q.weight", new long[] {e, p.queryWidth()}, Init.NORMAL, proj));
            t.add(new SynthTensor(b + "attn_k.weight", new long[] {e, p.kvWidth()}, Init.NORMAL, proj));
            t.add(new SynthTensor(b + "attn_v.weight", new long[] {e, p.kvWidth()}, Init.NORMAL, proj));
            if (p.qkNorm()) {
                t.add(new SynthTensor(b + "attn_q_norm.weight", new long[] {p.headDim()}, Init.ONES, 0));
                t.add(new SynthTensor(b + "attn_k_norm.weight", new long[] {p.headDim()}, Init.ONES, 0));
            }
            t.add(new SynthTensor(b + "attn_output.weight", new long[] {p.queryWidth(), e}, Init.NORMAL,
                    residual / Math.sqrt(p.queryWidth())));
            t.add(new SynthTensor(b + "ffn_norm.weight", new long[] {e}, Init.ONES, 0));
            t.add(new SynthTensor(b + "ffn_gate.weight", new long[] {e, p.feedForward()}, Init.NORMAL, proj));
            t.add(new SynthTensor(b + "ffn_up.weight", new long[] {e, p.feedForward()}, Init.NORMAL, proj));
            t.add(new SynthTensor(b + "ffn_down.weight", new long[] {p.feedForward(), e}, Init.NORMAL,
                    residual / Math.sqrt(p.feedForward())));
        }
        t.add(new SynthTensor("output_norm.weight", new long[] {e}, Init.ONES, 0));
        if (!p.tiedEmbeddings()) {
            t.add(new SynthTensor("output.weight", new long[] {e, vocab}, Init.NORMAL, proj));
        }
        return t;
    }

    /**
     * llama3's per-frequency divisors as llama.cpp's converter writes them to {@code rope_freqs}: 1 for wavelengths
     * under {@code original / highFreqFactor}, {@code factor} for those over {@code original / lowFreqFactor}, and a
     * smooth blend between. Computed in float like the converter's float32 tensors.
     */
    static float[] ropeFactors(SynthPreset p) {
        SynthPreset.Llama3RopeScaling s = p.ropeScaling().orElseThrow();
        int dim = p.headDim();
        float[] out = new float[dim / 2];
        float lowWavelen = s.originalContext() / s.lowFreqFactor();
        float highWavelen = s.originalContext() / s.highFreqFactor();
        for (int i = 0; i < out.length; i++) {
            float freq = (float) (1.0 / Math.pow(p.ropeTheta(), (2.0 * i) / dim));
            float wavelen = (float) (2 * Math.PI / freq);
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = s.factor();
            } else {
                float smooth = (s.originalContext() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                out[i] = 1f / ((1 - smooth) / s.factor() + smooth);
            }
        }
        return out;
    }
}
