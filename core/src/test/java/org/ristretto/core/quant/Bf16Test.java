package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Bf16}: exhaustive round trips, ties to even at every bf16 midpoint, NaN, infinity and subnormals. */
class Bf16Test {

    @Test
    void widensByShiftingIntoTheTopHalfAndNarrowsBackExactly() {
        for (int k = 0; k < 0x10000; k++) {
            int h = k;
            float f = Bf16.toFloat((short) h);
            assertEquals(h << 16, Float.floatToRawIntBits(f), () -> "bf16 " + Integer.toHexString(h));
            boolean nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
            assertEquals(nan ? h | 0x40 : h, Bf16.fromFloat(f) & 0xffff, () -> "bf16 " + Integer.toHexString(h));
        }
    }

    @Test
    void everyMidpointRoundsToTheEvenNeighbour() {
        for (int k = 0; k < 0x10000; k++) {
            int h = k;
            if ((h & 0x7f80) == 0x7f80) {
                continue; // infinities and NaNs have no finite upper neighbour
            }
            int mid = h << 16 | 0x8000;
            int expected = (h & 1) == 0 ? h : h + 1;
            assertEquals(expected & 0xffff, Bf16.fromFloat(Float.intBitsToFloat(mid)) & 0xffff,
                    "midpoint above " + Integer.toHexString(h));
            assertEquals(h, Bf16.fromFloat(Float.intBitsToFloat(mid - 1)) & 0xffff, "just below the midpoint");
            assertEquals((h + 1) & 0xffff, Bf16.fromFloat(Float.intBitsToFloat(mid + 1)) & 0xffff,
                    "just above the midpoint");
        }
    }

    @Test
    void specialValues() {
        assertEquals(0x3f80, bits(0x3f808000), "1 + half an ulp ties down to even 1.0");
        assertEquals(0x3f82, bits(0x3f818000), "an odd kept part ties up");
        assertEquals(0xbf80, bits(0xbf808000), "ties are symmetric in sign");
        assertEquals(0x7f80, bits(0x7f7fffff), "the largest float rounds up to infinity");
        assertEquals(0x7f80, bits(0x7f800000));
        assertEquals(0xff80, bits(0xff800000));
        assertEquals(0x7fc0, bits(0x7f800001), "a NaN with only low payload bits stays a NaN, made quiet");
        assertEquals(0xffc0, bits(0xff800001), "and keeps its sign");
        assertEquals(0x7fc1, bits(0x7f810000), "top payload bits are kept");
        assertEquals(0x0001, bits(0x00010000), "subnormals are kept, not flushed");
        assertEquals(0x0000, bits(0x00008000), "the smallest tie goes to even zero");
        assertEquals(0x0002, bits(0x00018000));
        assertEquals(0x8000, bits(0x80000000));
        assertTrue(Float.isNaN(Bf16.toFloat((short) 0x7fc0)));
    }

    private static int bits(int floatBits) {
        return Bf16.fromFloat(Float.intBitsToFloat(floatBits)) & 0xffff;
    }
}
