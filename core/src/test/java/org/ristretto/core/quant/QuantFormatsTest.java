package org.ristretto.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The registry and the argument checks every format shares. */
class QuantFormatsTest {

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void thereIsAFormatExactlyForTheSupportedTypes(GgmlType t) {
        if (t.isSupported()) {
            assertEquals(t, QuantFormats.of(t).type());
            assertSame(QuantFormats.of(t), QuantFormats.of(t), "formats are shared, stateless instances");
        } else {
            var e = assertThrows(UnsupportedOperationException.class, () -> QuantFormats.of(t));
            assertTrue(e.getMessage().contains(t.ggmlName()), e.getMessage());
        }
    }

    @Test
    void aLengthThatIsNotWholeBlocksIsRejectedNamingTheType() {
        QuantFormat q4k = QuantFormats.of(GgmlType.Q4_K);
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * 144]);
        var e = assertThrows(IllegalArgumentException.class, () -> q4k.dequantize(seg, 0, new float[300], 0, 300));
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> q4k.quantize(new float[300], 0, seg, 0, 300));
        assertThrows(IllegalArgumentException.class, () -> q4k.quantize(new float[300], 0, seg, 0, -256));
    }

    @Test
    void segmentsAndArraysTooShortAreRejectedBeforeAnyWrite() {
        QuantFormat q8 = QuantFormats.of(GgmlType.Q8_0);
        MemorySegment small = MemorySegment.ofArray(new byte[34 + 33]);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> q8.quantize(new float[64], 0, small, 0, 64));
        assertTrue(e.getMessage().contains("Q8_0") && e.getMessage().contains("68"), e.getMessage());
        assertEquals(0, small.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "nothing was written");
        assertThrows(IndexOutOfBoundsException.class, () -> q8.dequantize(small, 1, new float[64], 0, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> q8.dequantize(small, -1, new float[32], 0, 32));
        MemorySegment enough = MemorySegment.ofArray(new byte[68]);
        assertThrows(IndexOutOfBoundsException.class, () -> q8.dequantize(enough, 0, new float[63], 0, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> q8.quantize(new float[64], 1, enough, 0, 64));
    }
}
