package org.ristretto.core.quant;

/**
 * IEEE 754 binary16 ("half", ggml's {@code ggml_half}) conversions, exact in both directions.
 *
 * <p>{@link #toFloat} is exact: every half is a float. {@link #fromFloat} rounds to nearest, ties to even, with
 * overflow to infinity and gradual underflow into the half subnormals, as ggml's {@code GGML_FP32_TO_FP16} does
 * (the x86 {@code vcvtps2ph} instruction with rounding mode 0, and its portable C fallback). NaNs stay NaNs of the same
 * sign and are made quiet, keeping the top payload bits, as {@code vcvtps2ph}/{@code vcvtph2ps} do; the JDK's own
 * conversions would keep a signalling NaN signalling, which is the only place they differ from ggml.
 */
public final class Fp16 {
    /** The bits of the largest finite half, 65504. */
    public static final short MAX_VALUE_BITS = 0x7bff;

    private Fp16() {}

    /** The float value of the half whose bits are {@code bits}. */
    public static float toFloat(short bits) {
        if ((bits & 0x7c00) == 0x7c00 && (bits & 0x03ff) != 0) {
            int sign = (bits & 0x8000) << 16;
            return Float.intBitsToFloat(sign | 0x7fc00000 | (bits & 0x03ff) << 13);
        }
        return Float.float16ToFloat(bits);
    }

    /** The bits of the half nearest to {@code value} (ties to even). */
    public static short fromFloat(float value) {
        if (Float.isNaN(value)) {
            int f = Float.floatToRawIntBits(value);
            return (short) ((f >>> 16 & 0x8000) | 0x7e00 | (f & 0x007fffff) >>> 13);
        }
        return Float.floatToFloat16(value);
    }

    /** {@code value} rounded to the nearest half and back: what storing it in a {@code ggml_half} keeps. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
