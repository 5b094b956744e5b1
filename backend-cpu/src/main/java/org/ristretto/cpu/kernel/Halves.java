package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;

/**
 * IEEE binary16 halves widened to floats. Kernels widen them in integer vector lanes, exactly, subnormals, infinities
 * and NaNs included: the Vector API has no half-to-float conversion of its own, and the JDK's
 * {@code Float.float16ToFloat} inside a kernel's loop did not vectorize (F16 weights: 5 GB/s against 20 for F32).
 * A run of halves on its own ({@link #widen}: an F16 KV cache's tiles) is a plain loop of that call, which does.
 *
 * <p>A half sign-extended to 32 bits and shifted left by 13 has its exponent and mantissa where a float's low
 * exponent bits and mantissa are ({@link #MAGNITUDE} keeps them), and its sign in bit 31 ({@link PackedKernel#SIGN}).
 * Adding 112 to the exponent ({@link #REBIAS}) gives the float of every normal half. A subnormal half (exponent 0,
 * mantissa m) comes out as 2^-15·(1 + m/1024), and twice that less 2^-14 is its value 2^-14·m/1024: one masked FMA,
 * exact; an infinity or NaN (exponent 31) gets an all-ones exponent, mantissa kept. Ten vector operations per vector.
 * Scaling the shifted bits by 2^112 in a float multiply instead (eight operations) is exact too, but a subnormal half
 * is then a subnormal float operand, which a Zen 5 multiplies slowly: one-token products over a synthetic 1B model's
 * F16 weights, 1% of them subnormal, read 19–32 GB/s that way, and 41–46 GB/s over normal halves only (2 threads).
 * The kernels write these operations out in their own loops (see {@link IntDot} on vector helpers).
 */
public final class Halves {
    static final int MAGNITUDE = 0x0fffe000;
    static final int REBIAS = 112 << 23;
    /** Shifted magnitudes below this had exponent 0; at or above {@link #INF_NAN}, exponent 31. */
    static final int SUBNORMAL_LIMIT = 1 << 23;
    static final int INF_NAN = 31 << 23;
    static final float SUBNORMAL_UNIT = 0x1p-14f;

    private Halves() {}

    /**
     * {@code dst[dstOffset + i]} = the little-endian half at {@code src[offset + 2i]}, for {@code i < n}, as
     * {@code Float.float16ToFloat} gives it. A loop of its own, which C2 compiles to vector conversions
     * ({@code vcvtph2ps} on x86), twice as fast as the integer widening in such a loop: 0.06 against 0.12 ns a
     * half from cache on the 2-core Zen 4, 0.12 against 0.19 from memory. Inside a kernel's loop, next to the
     * multiply-adds, the same call did not vectorize, hence the kernels' integer widening.
     */
    public static void widen(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        src = NativeSegments.of(src);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src.get(IntDot.I16, offset + 2L * i));
        }
    }
}
