package org.ristretto.cpu.kernel;

/**
 * The exponential the CPU kernels use (SiLU in {@link SwiGlu}, attention's softmax), defined by plain IEEE
 * operations so that it gives the same bits however the JIT runs it.
 *
 * <p>The Vector API's {@code lanewise(EXP)} does not: C2 compiles it to a call of the JDK's SVML routines, while
 * interpreted or C1 code takes its Java fallback, {@code (float) Math.exp(x)} per lane, and the two differ in the last
 * bit now and then. Which one a product ran then depended on when the JIT had compiled the kernel (and on any
 * deoptimization in between), so greedy output varied from run to run: on a synthetic 1B Q4_K_M model, 40 greedy
 * tokens came out two ways in 3 of 14 runs, the same way in 12 of 12 with the SVML stubs off
 * ({@code -XX:-UseVectorStubs}). Adds, multiplies and fused multiply-adds round the same way everywhere, so this
 * function, written with them, does too, scalar or vector.
 *
 * <p>The method is Cephes' {@code expf}: {@code x = n·ln 2 + r} with {@code n} rounded to the nearest integer (by
 * adding {@link #ROUNDER}, whose float spacing is 1, so the sum's low bits are {@code n}), {@code r} in
 * {@code [−ln 2 / 2, ln 2 / 2]} from a two-part {@code ln 2}, {@code e^r} from a degree-7 polynomial, and
 * {@code 2^n} built in the exponent bits. Within 2 units in the last place of {@code Math.exp} over the range kept:
 * {@code x} is clamped to {@code [}{@link #MIN_X}{@code , }{@link #MAX_X}{@code ]}, so {@code e^x} is about
 * {@code 1.6e-38} below it (not 0) and {@code 1.7e38} above it (not infinity); NaN stays NaN. The kernels write the
 * same operations out in their own loops (see {@link IntDot} on vector helpers); {@link #exp} is the definition they
 * are tested against, bit for bit, and the scalar tails' exponential.
 */
public final class FastExp {
    /** Smallest argument kept: {@code 2^n} stays a normal float. */
    public static final float MIN_X = -87f;
    /** Largest argument kept: {@code 2^n} stays finite. */
    public static final float MAX_X = 88f;
    public static final float LOG2_E = 1.44269504088896341f;
    /** 1.5·2^23: a float in [2^23, 2^24) has a spacing of 1, so adding this rounds to an integer in the low bits. */
    public static final float ROUNDER = 12582912f;
    /** {@link #ROUNDER}'s bits less 127, the exponent bias: a sum's bits less this are {@code n + 127}. */
    public static final int ROUNDER_BITS_LESS_BIAS = Float.floatToRawIntBits(ROUNDER) - 127;
    /** {@code −ln 2} in two parts: the high one has few bits, so {@code n·}it is exact. */
    public static final float MINUS_LN2_HIGH = -0.693359375f;
    public static final float MINUS_LN2_LOW = 2.12194440e-4f;
    /** The polynomial's coefficients, highest degree first: {@code e^r ≈ 1 + r + r²·(P0·r^5 + … + P5)}. */
    public static final float P0 = 1.9875691500e-4f;
    public static final float P1 = 1.3981999507e-3f;
    public static final float P2 = 8.3334519073e-3f;
    public static final float P3 = 4.1665795894e-2f;
    public static final float P4 = 1.6666665459e-1f;
    public static final float P5 = 5.0000001201e-1f;

    private FastExp() {}

    /** {@code e^x}, as the kernels compute it lane by lane. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, MIN_X), MAX_X);
        float t = Math.fma(c, LOG2_E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, MINUS_LN2_HIGH, c);
        r = Math.fma(n, MINUS_LN2_LOW, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r + 1f);
        return e * Float.intBitsToFloat(Float.floatToRawIntBits(t) - ROUNDER_BITS_LESS_BIAS << 23);
    }
}
