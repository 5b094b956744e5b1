package org.ristretto.core.quant;

/**
 * bfloat16 conversions, bit-compatible with ggml's {@code GGML_FP32_TO_BF16} / {@code GGML_BF16_TO_FP32}.
 *
 * <p>A bf16 is the top 16 bits of a float, so widening is exact. Narrowing rounds to nearest, ties to even, on the
 * dropped 16 bits (finite values may round up to infinity); subnormals are kept, not flushed. A NaN keeps its sign and
 * top payload bits and gets the quiet bit (0x40) set, so that truncating its payload can never turn it into an
 * infinity.
 */
public final class Bf16 {
    private Bf16() {}

    /** The float value of the bf16 whose bits are {@code bits}. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** The bits of the bf16 nearest to {@code value} (ties to even). */
    public static short fromFloat(float value) {
        int u = Float.floatToRawIntBits(value);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) (u >>> 16 | 0x40);
        }
        // Adding 0x7fff plus the lowest kept bit carries into the kept bits exactly when the dropped half is above
        // one half ulp, or equal to it with an odd kept part: round half to even.
        return (short) ((u + 0x7fff + (u >>> 16 & 1)) >>> 16);
    }
}
