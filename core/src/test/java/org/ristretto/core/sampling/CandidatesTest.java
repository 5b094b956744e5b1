package org.ristretto.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Each truncation stage on small hand-computed cases, and the selection code against a plain full sort. */
class CandidatesTest {

    private static Candidates of(float... logits) {
        Candidates c = new Candidates(logits.length);
        c.reset(logits);
        return c;
    }

    /** Logits whose softmax is exactly the given probabilities (they sum to 1). */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static int[] ids(Candidates c) {
        return IntStream.range(0, c.size()).map(c::id).toArray();
    }

    @Test
    void topKKeepsTheKLargestBestFirstAndBreaksTiesByLowerId() {
        Candidates c = of(1f, 5f, 3f, 5f, 2f);
        c.topK(3);
        assertArrayEquals(new int[] {1, 3, 2}, ids(c));
        assertTrue(c.isSorted());
        assertEquals(5f, c.logit(0));
        assertEquals(3f, c.logit(2));
    }

    @Test
    void topKOfZeroOrAtLeastTheSizeKeepsEverythingInPlace() {
        Candidates c = of(1f, 5f, 3f);
        c.topK(0);
        assertArrayEquals(new int[] {0, 1, 2}, ids(c));
        c.topK(3);
        c.topK(10);
        assertArrayEquals(new int[] {0, 1, 2}, ids(c));
        assertFalse(c.isSorted());
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // probabilities 0.1, 0.4, 0.2, 0.3: best first 0.4 (id 1), 0.3 (id 3), 0.2 (id 2), 0.1 (id 0)
        float[] l = logitsOf(0.1, 0.4, 0.2, 0.3);
        Candidates c = of(l);
        c.topP(0.3f, 0);
        assertArrayEquals(new int[] {1}, ids(c));
        c = of(l);
        c.topP(0.65f, 0);
        assertArrayEquals(new int[] {1, 3}, ids(c));
        c = of(l);
        c.topP(0.75f, 0);
        assertArrayEquals(new int[] {1, 3, 2}, ids(c));
        c = of(l);
        c.topP(0.3f, 3);
        assertArrayEquals(new int[] {1, 3, 2}, ids(c), "min_keep holds more than p needs");
        c = of(l);
        c.topP(1f, 0);
        assertArrayEquals(new int[] {0, 1, 2, 3}, ids(c), "p = 1 is off");
    }

    @Test
    void topPAfterTopKUsesTheProbabilitiesOfWhatTopKKept() {
        // over all five, token 0 has e^2/(e^2+e+3) = 0.564; over the two top-k kept, e^2/(e^2+e) = 0.731
        Candidates c = of(2f, 1f, 0f, 0f, 0f);
        c.topK(2);
        c.topP(0.7f, 0);
        assertArrayEquals(new int[] {0}, ids(c));
        c = of(2f, 1f, 0f, 0f, 0f);
        c.topP(0.7f, 0);
        assertArrayEquals(new int[] {0, 1}, ids(c));
    }

    @Test
    void topPOverALargeUnsortedSetFallsBackToAFullSortWhenThe256BestAreNotEnough() {
        float[] flat = new float[2000];
        Candidates c = of(flat);
        c.topP(0.50025f, 0); // each token has 1/2000: 1000.5 of them reach p, so 1001 are kept
        assertEquals(1001, c.size());
        assertArrayEquals(IntStream.range(0, 1001).toArray(), ids(c), "equal logits: lowest ids first");

        float[] peaked = new float[2000];
        peaked[1234] = 20f;
        c = of(peaked);
        c.topP(0.9f, 0);
        assertArrayEquals(new int[] {1234}, ids(c));
    }

    @Test
    void minPKeepsTokensWithAtLeastPTimesTheLargestProbability() {
        // probabilities 0.5, 0.04, 0.3, 0.16
        float[] l = logitsOf(0.5, 0.04, 0.3, 0.16);
        Candidates c = of(l);
        c.minP(0.1f, 0); // keep p >= 0.05
        assertArrayEquals(new int[] {0, 2, 3}, ids(c), "the unsorted path keeps the original order");
        c = of(l);
        c.minP(0.5f, 0); // keep p >= 0.25
        assertArrayEquals(new int[] {0, 2}, ids(c));
        c = of(l);
        c.minP(0.9f, 3); // only token 0 passes, but three must stay: the best three
        assertArrayEquals(new int[] {0, 2, 3}, ids(c));
        c = of(l);
        c.minP(0f, 0);
        assertEquals(4, c.size(), "0 is off");
    }

    @Test
    void minPOnSortedCandidatesCutsTheSortedTail() {
        Candidates c = of(logitsOf(0.04, 0.5, 0.16, 0.3));
        c.topK(4 - 1); // sorted: ids 1, 3, 2
        c.minP(0.5f, 0);
        assertArrayEquals(new int[] {1, 3}, ids(c));
    }

    @Test
    void temperatureDividesTheLogits() {
        Candidates c = of(2f, -4f);
        c.temperature(2f);
        assertEquals(1f, c.logit(0));
        assertEquals(-2f, c.logit(1));
    }

    @Test
    void drawPicksTheFirstCandidateWhoseRunningSumReachesTheDrawnFraction() {
        // weights 1:3 (logits ln 1, ln 3): fractions below 0.25 pick token 0, above pick token 1
        Candidates c = of(0f, (float) Math.log(3));
        assertEquals(0, c.draw(fixed(0.1)));
        assertEquals(0, c.draw(fixed(0.2499)));
        assertEquals(1, c.draw(fixed(0.2501)));
        assertEquals(1, c.draw(fixed(0.999)));
    }

    @Test
    void drawNeverPicksANegativeInfinityToken() {
        Candidates c = of(Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY);
        assertEquals(1, c.draw(fixed(0.0)));
        assertEquals(1, c.draw(fixed(0.9999999)));
    }

    private static java.util.random.RandomGenerator fixed(double u) {
        return new java.util.random.RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return u;
            }
        };
    }

    @Test
    void heapSelectionAndTopPMatchAFullSortOnALargeVocabulary() {
        Random r = new Random(7);
        int n = 151_936;
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            logits[i] = Math.round(r.nextGaussian() * 300) / 100f; // many exact ties
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));

        for (int k : new int[] {1, 40, 257, 5000}) {
            Candidates c = of(logits);
            c.topK(k);
            int[] expected = Arrays.stream(order, 0, k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, ids(c), "top-" + k);
        }

        float max = logits[order[0]];
        float sum = 0f;
        for (float l : logits) {
            sum += (float) Math.exp(l - max);
        }
        for (float p : new float[] {0.001f, 0.05f, 0.5f, 0.95f}) {
            float cumulative = 0f;
            int keep = 0;
            while (keep < n) {
                cumulative += (float) Math.exp(logits[order[keep]] - max) / sum;
                keep++;
                if (cumulative >= p) {
                    break;
                }
            }
            Candidates c = of(logits);
            c.topP(p, 0);
            int[] expected = Arrays.stream(order, 0, keep).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, ids(c), "top-p " + p);
        }
    }

    @Test
    void keysOrderByLogitThenLowerIdAndDecodeExactly() {
        float[] values = {Float.NEGATIVE_INFINITY, -3.5f, -Float.MIN_VALUE, 0f, Float.MIN_VALUE, 1f, 7.25e30f};
        for (int i = 0; i + 1 < values.length; i++) {
            assertTrue(Candidates.key(values[i], 5) < Candidates.key(values[i + 1], 5), values[i] + " < " + values[i + 1]);
        }
        assertTrue(Candidates.key(1f, 3) > Candidates.key(1f, 4), "the lower id ranks higher");
        assertEquals(Candidates.key(0f, 2), Candidates.key(-0f, 2));
        for (float v : values) {
            long k = Candidates.key(v, 151_935);
            assertEquals(v + 0f, Candidates.keyLogit(k));
            assertEquals(151_935, Candidates.keyId(k));
        }
    }
}
