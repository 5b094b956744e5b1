package org.ristretto.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The warm-up's chunks cover every position a tg test's samples use, then start over. */
class BenchWarmUpTest {
    private static int[] chunks(int n, int nGen, int count) {
        int[] starts = new int[count];
        int offset = -n;
        for (int i = 0; i < count; i++) {
            offset = BenchRunner.nextChunk(offset, n, nGen);
            starts[i] = offset;
        }
        return starts;
    }

    @Test
    void chunksWalkTheWholeRangeThenWrap() {
        assertArrayEquals(new int[] {0, 16, 32, 48, 64, 80, 96, 112, 0, 16}, chunks(16, 128, 10));
    }

    @Test
    void theLastChunkEndsAtTheRangesEnd() {
        int[] starts = chunks(16, 100, 8);
        assertArrayEquals(new int[] {0, 16, 32, 48, 64, 80, 84, 0}, starts, Arrays.toString(starts));
    }

    @Test
    void aRangeOfOneChunkRepeatsIt() {
        assertArrayEquals(new int[] {0, 0, 0}, chunks(5, 5, 3));
    }
}
