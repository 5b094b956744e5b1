package org.ristretto.cpu.kernel;

/**
 * The activations of one call, prepared once in the form the weight type's kernel reads ({@link ActivationFormat}).
 *
 * <p>Token {@code t} starts at element {@code t * cols}: floats at {@code x[xOffset + t * cols]}, quants at
 * {@code q[t * cols]}, per-block values at {@code t * cols / blockSize}. The arrays belong to one {@link MatMul} and
 * grow only when a larger call arrives.
 */
final class Activations {
    /** The caller's floats (the F32 form needs no copy). */
    float[] x;
    int xOffset;
    int cols;
    int nTokens;

    /**
     * Quants of the Q8_0 or Q8_K form, already widened to 16 bits: the kernels multiply in 16-bit lanes, and loading
     * them widened saves a conversion per load in the innermost loops.
     */
    short[] q = new short[0];
    /** Per-block scales: one per 32 values (Q8_0, fp16-rounded as ggml stores them) or per 256 (Q8_K). */
    float[] d = new float[0];
    /**
     * Q8_0: each block's scale times the sum of its quants, {@code d·Σq} (ggml's Q8_1 {@code s}): weight types
     * with an offset (Q4_1, Q5_1) add {@code m·d·Σq} per block.
     */
    float[] blockSum = new float[0];
    /** Q8_K: the sum of each 16 quants (for the per-sub-block minimums of Q2_K). */
    short[] bsums = new short[0];
    /** Q8_K: the sum of each 32 quants (for the per-sub-block minimums of Q4_K and Q5_K). */
    short[] sums32 = new short[0];
    /** Token 0's quants as the pairs of 16-bit lanes a {@link PackedKernel} broadcasts, in its order. */
    int[] pairs = new int[0];
    /** The form the quants above are in, for the call in progress. */
    ActivationFormat format = ActivationFormat.F32;

    /**
     * Starts a call: {@code nTokens} tokens of {@code cols} floats from {@code x[xOffset]}, to be prepared in
     * {@code format}, with room made for their quants (none for F32); {@link #quantize} then fills them, token by
     * token.
     */
    void begin(ActivationFormat format, float[] x, int xOffset, int cols, int nTokens) {
        this.x = x;
        this.xOffset = xOffset;
        this.cols = cols;
        this.nTokens = nTokens;
        this.format = format;
        if (format != ActivationFormat.F32) {
            reserve(cols, nTokens, format.block());
        }
    }

    /** Makes room for {@code nTokens × cols} values quantized with blocks of {@code block} elements. */
    private void reserve(int cols, int nTokens, int block) {
        int n = Math.multiplyExact(cols, nTokens);
        if (q.length < n) {
            q = new short[n];
        }
        int blocks = n / block;
        if (d.length < blocks) {
            d = new float[blocks];
        }
        if (block == ActivationQuantizer.Q8_0_BLOCK && blockSum.length < blocks) {
            blockSum = new float[blocks];
        }
        if (block == ActivationQuantizer.Q8_K_BLOCK && bsums.length < n / 16) {
            bsums = new short[n / 16];
            sums32 = new short[n / 32];
        }
    }

    /** Quantizes token {@code t} to {@link #format}, Q8_0 or Q8_K. */
    void quantize(int t) {
        if (format == ActivationFormat.Q8_0) {
            quantizeQ8_0(t);
        } else {
            quantizeQ8_K(t);
        }
    }

    /** Quantizes token {@code t} to the Q8_0 form. */
    private void quantizeQ8_0(int t) {
        int base = t * cols;
        ActivationQuantizer.q8_0(x, xOffset + base, cols, q, base, d, base / ActivationQuantizer.Q8_0_BLOCK,
                blockSum, base / ActivationQuantizer.Q8_0_BLOCK);
    }

    /** Quantizes token {@code t} to the Q8_K form. */
    private void quantizeQ8_K(int t) {
        int base = t * cols;
        ActivationQuantizer.q8_K(x, xOffset + base, cols, q, base, d, base / ActivationQuantizer.Q8_K_BLOCK,
                bsums, base / 16);
        for (int i = base / 32; i < (base + cols) / 32; i++) {
            sums32[i] = (short) (bsums[2 * i] + bsums[2 * i + 1]);
        }
    }
}
