package org.ristretto.cpu.kernel;

/** How the activations are prepared for a weight type: as ggml pairs each weight type with a "vec_dot_type". */
enum ActivationFormat {
    /** The floats themselves: F32, F16 and BF16 weights multiply them directly. */
    F32(0),
    /** Blocks of 32 int8 with one scale each: for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and IQ4_NL weights. */
    Q8_0(ActivationQuantizer.Q8_0_BLOCK),
    /** Blocks of 256 int8 with one float scale and sums of each 16: for the K-quants and IQ4_XS. */
    Q8_K(ActivationQuantizer.Q8_K_BLOCK);

    private final int block;

    ActivationFormat(int block) {
        this.block = block;
    }

    /** Values per quantized block; 0 for {@link #F32}, which is not quantized. */
    int block() {
        return block;
    }
}
