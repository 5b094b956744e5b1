package org.ristretto.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The repetition penalties on hand-computed cases, over the last N accepted tokens only. */
class PenaltiesTest {
    private static Penalties penalties(float repeat, float freq, float presence, int lastN, int vocab) {
        return new Penalties(SamplingParams.defaults().withPenalties(repeat, freq, presence, lastN), vocab);
    }

    @Test
    void repeatDividesPositiveLogitsAndMultipliesTheOthers() {
        Penalties p = penalties(2f, 0f, 0f, 8, 4);
        p.accept(0);
        p.accept(1);
        p.accept(2);
        float[] logits = {3f, -1.5f, 0f, 3f};
        p.apply(logits);
        assertArrayEquals(new float[] {1.5f, -3f, 0f, 3f}, logits);
    }

    @Test
    void frequencyCountsOccurrencesAndPresenceCountsOnce() {
        Penalties p = penalties(2f, 0.25f, 0.5f, 3, 5);
        p.accept(1);
        p.accept(2);
        p.accept(1);
        float[] logits = {0.5f, 2f, -1f, 3f, 0f};
        p.apply(logits);
        // token 1 (twice): 2/2 - (2*0.25 + 0.5) = 0; token 2 (once): -1*2 - (0.25 + 0.5) = -2.75
        assertArrayEquals(new float[] {0.5f, 0f, -2.75f, 3f, 0f}, logits);
    }

    @Test
    void onlyTheLastNTokensCount() {
        Penalties p = penalties(2f, 0.25f, 0.5f, 3, 5);
        for (int t : new int[] {3, 1, 2, 1, 4}) {
            p.accept(t); // the window is now 2, 1, 4: token 3 and the first 1 have left it
        }
        assertEquals(0, p.count(3));
        assertEquals(1, p.count(1));
        assertEquals(3, p.size());
        float[] logits = {0.5f, 2f, -1f, 3f, 0f};
        p.apply(logits);
        assertArrayEquals(new float[] {0.5f, 0.25f, -2.75f, 3f, -0.75f}, logits);
        float[] again = {0.5f, 2f, -1f, 3f, 0f};
        p.apply(again);
        assertArrayEquals(logits, again, "applying leaves the counts as they were");
    }

    @Test
    void zeroWindowIsOffAndClearForgets() {
        Penalties off = penalties(2f, 1f, 1f, 0, 3);
        off.accept(1);
        assertEquals(0, off.count(1));
        Penalties p = penalties(2f, 0f, 0f, 4, 3);
        p.accept(1);
        p.accept(1);
        p.clear();
        assertEquals(0, p.count(1));
        float[] logits = {1f, 1f, 1f};
        p.apply(logits);
        assertArrayEquals(new float[] {1f, 1f, 1f}, logits);
    }
}
