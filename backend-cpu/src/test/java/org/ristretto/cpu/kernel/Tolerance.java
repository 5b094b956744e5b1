package org.ristretto.cpu.kernel;

/**
 * Error bounds for a kernel's dot products against the exact product of the dequantized weights with the float
 * activations.
 *
 * <p>Two sources of error, both bounded rigorously:
 * <ol>
 *   <li><b>Activation quantization</b> (Q8_0 and Q8_K forms only). The kernel effectively multiplies
 *   {@code x̂ = d·q} instead of {@code x}.
 *   <ul>
 *     <li>Q8_0: {@code d = amax/127} per block of 32, {@code q = round(x·(1/d))}, so {@code |q − x/d| ≤ 1/2 + 127·4u}
 *     ({@code u = 2^-24}: the rounding of {@code amax/127}, of {@code 1/d} and of the product). The kernel uses the
 *     scale as stored, {@code d' = fp16(d)}, which is within {@code d·2^-11 + 2^-25} of {@code d} (relative error
 *     of an 11-bit significand, absolute error of the smallest subnormal step). Hence
 *     {@code |x̂ − x| ≤ 127·(d·2^-11 + 2^-25) + d·(1/2 + 127·4u)}.</li>
 *     <li>Q8_K: {@code iscale = −127/max} per block of 256, {@code q = rint(iscale·x)}, {@code d = 1/iscale}, so
 *     {@code |x̂ − x| ≤ |d|·(1/2 + 127·3u) + |x|·3u}.</li>
 *   </ul>
 *   The product error is then at most {@code Σ_c |w_c|·e_c} with {@code e_c} the bound of column {@code c}.</li>
 *   <li><b>Float accumulation</b>. Integer block dots are exact; the float part (per-block scaling, lane sums,
 *   the final reduction, or the FMA chain of float kernels) is a sum of at most {@code cols + 3} rounded terms, so
 *   by the standard bound its error is at most {@code γ·Σ_c |w_c|·|x̂_c|} with {@code γ = n·u / (1 − n·u)},
 *   {@code n = cols + 3}; {@code |x̂_c| ≤ |x_c| + e_c}.</li>
 * </ol>
 * The reference itself is accumulated in double, whose error is negligible next to these. A wrong index, scale,
 * sign or nibble changes a product by the order of {@code |w_c|·|x_c|}, far above {@code |w_c|·e_c ≈ |w_c|·amax/254}
 * summed over a row only in the worst case; the exact-arithmetic tests (activations that Q8 represents exactly, so
 * {@code e_c = 0}) pin every kernel to float rounding alone.
 */
final class Tolerance {
    private static final double U = Math.scalb(1.0, -24);

    private Tolerance() {}

    /** Per-column bounds {@code e_c} of {@code |x̂ − x|} for {@code nTokens} rows of {@code cols} activations. */
    static double[] activationError(ActivationFormat format, float[] x, int xOffset, int cols, int nTokens) {
        double[] e = new double[cols * nTokens];
        int block = switch (format) {
            case F32 -> 0;
            case Q8_0 -> 32;
            case Q8_K -> 256;
        };
        if (block == 0) {
            return e;
        }
        for (int b = 0; b < cols * nTokens / block; b++) {
            double amax = 0;
            for (int j = 0; j < block; j++) {
                amax = Math.max(amax, Math.abs(x[xOffset + b * block + j]));
            }
            double d = amax / 127 * (1 + 4 * U);
            for (int j = 0; j < block; j++) {
                int c = b * block + j;
                e[c] = format == ActivationFormat.Q8_0
                        ? 127 * (d * Math.scalb(1.0, -11) + Math.scalb(1.0, -25)) + d * (0.5 + 127 * 4 * U)
                        : d * (0.5 + 127 * 3 * U) + Math.abs(x[xOffset + c]) * 3 * U;
            }
        }
        return e;
    }

    /** The bound on {@code |kernel − reference|} of output {@code (t, r)}. */
    static double bound(float[] deq, int r, int cols, float[] x, int xOffset, int t, double[] e) {
        int n = cols + 3;
        double gamma = n * U / (1 - n * U);
        double quant = 0;
        double magnitude = 0;
        for (int c = 0; c < cols; c++) {
            double aw = Math.abs(deq[r * cols + c]);
            double ec = e[t * cols + c];
            quant += aw * ec;
            magnitude += aw * (Math.abs(x[xOffset + t * cols + c]) + ec);
        }
        return quant + gamma * magnitude;
    }

    /**
     * The bound for {@code silu(g)·u} given bounds {@code dg}, {@code du} on its inputs: {@code |silu'| ≤ 1.1}
     * everywhere, plus a few roundings in computing silu and the product.
     */
    static double swiGlu(double g, double dg, double u, double du) {
        double silu = g / (1 + Math.exp(-g));
        return 1.1 * dg * (Math.abs(u) + du) + Math.abs(silu) * du + 8 * U * Math.abs(silu * u) + Double.MIN_NORMAL;
    }
}
