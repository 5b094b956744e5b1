package org.ristretto.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LengthListTest {

    @Test
    void numbersAndRangesExpandAsLlamaBenchDoes() {
        assertEquals(List.of(512), LengthList.parse("-p", List.of("512")));
        assertEquals(List.of(0, 128, 512), LengthList.parse("-p", List.of("0", " 128", "512")));
        assertEquals(List.of(1, 2, 3), LengthList.parse("-p", List.of("1-3")));
        assertEquals(List.of(128, 256, 512), LengthList.parse("-p", List.of("128-512*2")));
        assertEquals(List.of(128, 256, 384, 512), LengthList.parse("-p", List.of("128-600+128")));
        assertEquals(List.of(0, 64, 128, 64), LengthList.parse("-d", List.of("0", "64-128*2", "64")));
    }

    @Test
    void malformedItemsNameTheFlagAndTheItem() {
        for (String bad : List.of("-1", "x", "1.5", "8-", "8-4", "0-8*2", "1-8*1", "1-8+0", "", "99999999999")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LengthList.parse("-n", List.of(bad)), bad);
            assertTrue(e.getMessage().startsWith("-n"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> LengthList.parse("-p", List.of("1-2000000000")));
        assertTrue(e.getMessage().contains("more than"), e.getMessage());
    }
}
