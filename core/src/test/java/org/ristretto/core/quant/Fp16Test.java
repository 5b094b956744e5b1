package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Fp16} against the IEEE binary16 definition, computed independently here: every one of the 65536 halves, and
 * every rounding boundary between two adjacent halves.
 */
class Fp16Test {

    /** The value of a half straight from the definition: sign, 5-bit exponent biased by 15, 10-bit fraction. */
    private static double definition(int h) {
        int sign = (h & 0x8000) != 0 ? -1 : 1;
        int exp = h >>> 10 & 0x1f;
        int frac = h & 0x3ff;
        if (exp == 0x1f) {
            return frac == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        return exp == 0 ? sign * Math.scalb((double) frac, -24) : sign * Math.scalb((double) (1024 + frac), exp - 25);
    }

    @Test
    void everyHalfWidensToItsExactValue() {
        for (int k = 0; k < 0x10000; k++) {
            int h = k;
            float f = Fp16.toFloat((short) h);
            double expected = definition(h);
            if (Double.isNaN(expected)) {
                int bits = Float.floatToRawIntBits(f);
                // A quiet NaN of the same sign with the payload moved up, as vcvtph2ps gives.
                assertEquals((h & 0x8000) << 16 | 0x7fc00000 | (h & 0x3ff) << 13, bits, () -> "NaN half " + hex(h));
            } else {
                assertEquals(expected, f, 0.0, () -> "half " + hex(h));
                assertEquals((h & 0x8000) != 0, Float.floatToRawIntBits(f) < 0, () -> "sign of half " + hex(h));
            }
        }
    }

    @Test
    void everyHalfNarrowsBackToItself() {
        for (int k = 0; k < 0x10000; k++) {
            int h = k;
            short back = Fp16.fromFloat(Fp16.toFloat((short) h));
            boolean nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
            // NaNs come back quiet (bit 9 set), everything else identical.
            assertEquals(nan ? h | 0x200 : h, back & 0xffff, () -> "half " + hex(h));
        }
    }

    @Test
    void narrowingRoundsToNearestWithTiesToEvenAcrossSubnormalsAndNormals() {
        for (int sign : new int[] {0, 0x8000}) {
            for (int k = 0; k < 0x7bff; k++) {
                int h = k;
                int lo = sign | h;
                int hi = sign | (h + 1);
                // Two adjacent halves have at most 11 significant bits, so their midpoint is exact in float.
                float mid = (Fp16.toFloat((short) lo) + Fp16.toFloat((short) hi)) / 2;
                int even = (h & 1) == 0 ? lo : hi;
                assertEquals(even, Fp16.fromFloat(mid) & 0xffff, () -> "tie between " + hex(lo) + " and " + hex(hi));
                float below = sign == 0 ? Math.nextDown(mid) : Math.nextUp(mid);
                float above = sign == 0 ? Math.nextUp(mid) : Math.nextDown(mid);
                assertEquals(lo, Fp16.fromFloat(below) & 0xffff, () -> "just inside " + hex(lo));
                assertEquals(hi, Fp16.fromFloat(above) & 0xffff, () -> "just inside " + hex(hi));
            }
        }
    }

    @Test
    void overflowUnderflowInfinitiesAndNaNs() {
        assertEquals(0x7bff, Fp16.fromFloat(65504f) & 0xffff);
        assertEquals(0x7bff, Fp16.fromFloat(Math.nextDown(65520f)) & 0xffff, "below the overflow threshold");
        assertEquals(0x7c00, Fp16.fromFloat(65520f) & 0xffff, "the tie with 65536 rounds to even: infinity");
        assertEquals(0xfc00, Fp16.fromFloat(-1e6f) & 0xffff);
        assertEquals(0x7c00, Fp16.fromFloat(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, Fp16.fromFloat(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x0001, Fp16.fromFloat(0x1p-24f) & 0xffff, "smallest subnormal");
        assertEquals(0x0000, Fp16.fromFloat(0x1p-25f) & 0xffff, "half of it ties to even zero");
        assertEquals(0x0001, Fp16.fromFloat(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x03ff, Fp16.fromFloat(0x3ffp-24f) & 0xffff, "largest subnormal");
        assertEquals(0x0400, Fp16.fromFloat(0x1p-14f) & 0xffff, "smallest normal");
        assertEquals(0x8000, Fp16.fromFloat(-0.0f) & 0xffff);
        assertEquals(0x8000, Fp16.fromFloat(-1e-30f) & 0xffff, "negative underflow keeps the sign");
        assertEquals(0x7e00, Fp16.fromFloat(Float.NaN) & 0xffff);
        assertEquals(0xfe00, Fp16.fromFloat(Float.intBitsToFloat(0xffc00000)) & 0xffff, "NaN keeps its sign");
        assertEquals(0x7e00, Fp16.fromFloat(Float.intBitsToFloat(0x7f800001)) & 0xffff,
                "a signalling NaN whose payload is all below bit 13 stays a NaN (quiet), never infinity");
        assertTrue(Float.isNaN(Fp16.toFloat((short) 0x7c01)));
        assertEquals(Float.POSITIVE_INFINITY, Fp16.toFloat((short) 0x7c00));
        assertEquals(65504f, Fp16.toFloat(Fp16.MAX_VALUE_BITS));
        assertEquals(1.0009765625f, Fp16.round(1.0009765625f + 0x1p-13f), "round() keeps what a half keeps");
    }

    private static String hex(int h) {
        return String.format("0x%04x", h);
    }
}
