package org.ristretto.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The whole chain: greedy, the stage order, seed determinism, the drawn distribution, validation. */
class SamplerTest {
    /** Every truncation stage off, temperature 1, a fixed seed. */
    private static SamplingParams plain(long seed) {
        return SamplingParams.defaults().withTopK(0).withTopP(1f).withMinP(0f).withTemperature(1f).withSeed(seed);
    }

    private static int[] histogram(Sampler s, float[] logits, int draws) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[s.sample(logits)]++;
        }
        return counts;
    }

    @Test
    void defaultsAreLlamaCpps() {
        SamplingParams d = SamplingParams.defaults();
        assertEquals(0.8f, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.95f, d.topP());
        assertEquals(0.05f, d.minP());
        assertEquals(1.0f, d.repeatPenalty());
        assertEquals(0f, d.frequencyPenalty());
        assertEquals(0f, d.presencePenalty());
        assertEquals(64, d.penaltyLastN());
        assertEquals(0, d.minKeep());
        assertEquals(SamplingParams.RANDOM_SEED, d.seed());
        assertTrue(SamplingParams.greedy().isGreedy());
    }

    @Test
    void invalidParametersNameTheFieldAndTheRange() {
        SamplingParams d = SamplingParams.defaults();
        assertMessage("topK = -1", () -> d.withTopK(-1));
        assertMessage("topP = 0.0 is invalid: expected in (0, 1]", () -> d.withTopP(0f));
        assertMessage("topP = 1.5", () -> d.withTopP(1.5f));
        assertMessage("minP = -0.1", () -> d.withMinP(-0.1f));
        assertMessage("minP = NaN", () -> d.withMinP(Float.NaN));
        assertMessage("temperature = NaN", () -> d.withTemperature(Float.NaN));
        assertMessage("repeatPenalty = 0.0", () -> d.withPenalties(0f, 0f, 0f, 64));
        assertMessage("frequencyPenalty = Infinity", () -> d.withPenalties(1f, Float.POSITIVE_INFINITY, 0f, 64));
        assertMessage("penaltyLastN = -1", () -> d.withPenalties(1.1f, 0f, 0f, -1));
        assertMessage("minKeep = -2", () -> d.withMinKeep(-2));
        assertMessage("vocabulary size must be positive", () -> new Sampler(d, 0));
        Sampler s = new Sampler(d, 3);
        assertMessage("expected 3 logits but got 2", () -> s.sample(new float[2]));
        assertMessage("logit of token 1 is NaN", () -> s.sample(new float[] {0f, Float.NaN, 0f}));
        float ninf = Float.NEGATIVE_INFINITY;
        assertMessage("every logit is -infinity", () -> s.sample(new float[] {ninf, ninf, ninf}));
        assertMessage("token id 3 is outside the vocabulary [0, 3)", () -> s.accept(3));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void greedyIsTheArgmaxWithTiesToTheLowestIdAndIgnoresTheTruncationStages() {
        Sampler s = new Sampler(SamplingParams.greedy().withTopK(1).withTopP(0.1f), 5);
        assertEquals(1, s.sample(new float[] {1f, 3f, 3f, 2f, -7f}));
        assertEquals(4, new Sampler(SamplingParams.defaults().withTemperature(-1f), 5)
                .sample(new float[] {1f, 3f, 3f, 2f, 9f}));
    }

    @Test
    void greedyAppliesThePenaltiesButNeverChangesTheCallersArray() {
        Sampler s = new Sampler(SamplingParams.greedy().withPenalties(2f, 0f, 0f, 4), 4);
        float[] logits = {1f, 3f, 2f, 0f};
        assertEquals(1, s.sample(logits));
        s.accept(1); // 3 / 2 = 1.5 < 2
        assertEquals(2, s.sample(logits));
        assertArrayEquals(new float[] {1f, 3f, 2f, 0f}, logits);
    }

    @Test
    void penaltiesRunBeforeTopK() {
        Sampler s = new Sampler(plain(1).withTopK(1).withPenalties(2f, 0f, 0f, 8), 3);
        float[] logits = {3f, 2.9f, 0f};
        assertEquals(0, s.sample(logits));
        s.accept(0); // 3 / 2 = 1.5: token 1 is now the only one top-k keeps
        for (int i = 0; i < 200; i++) {
            assertEquals(1, s.sample(logits));
        }
    }

    @Test
    void topKRunsBeforeTopP() {
        // after top-k 2, token 0 holds 0.731 >= 0.7 alone; top-p over all five would keep token 1 too (0.564)
        float[] logits = {2f, 1f, 0f, 0f, 0f};
        int[] ordered = histogram(new Sampler(plain(3).withTopK(2).withTopP(0.7f), 5), logits, 2000);
        assertEquals(2000, ordered[0]);
        int[] withoutTopK = histogram(new Sampler(plain(3).withTopP(0.7f), 5), logits, 2000);
        assertTrue(withoutTopK[1] > 300, "the contrast case keeps token 1");
    }

    @Test
    void topPRunsBeforeMinP() {
        // probabilities .4 .3 .2 .05 .05: top-p .75 keeps three, min-p .3 (>= .12) keeps them all, so token 2 is
        // drawn; min-p first would renormalize to .444 .333 .222 and top-p .75 would then drop token 2
        float[] logits = new float[5];
        double[] probs = {0.4, 0.3, 0.2, 0.05, 0.05};
        for (int i = 0; i < 5; i++) {
            logits[i] = (float) Math.log(probs[i]);
        }
        int[] h = histogram(new Sampler(plain(5).withTopP(0.75f).withMinP(0.3f), 5), logits, 3000);
        assertTrue(h[2] > 500, "token 2 is drawn: " + h[2]);
        assertEquals(0, h[3] + h[4]);
    }

    @Test
    void topPAndMinPSeeTheProbabilitiesBeforeTemperature() {
        // top-p .7 on logits {0, -1}: token 0 has .731 and is kept alone; at temperature 3 it would have .583
        int[] topP = histogram(new Sampler(plain(9).withTopP(0.7f).withTemperature(3f), 2),
                new float[] {0f, -1f}, 2000);
        assertEquals(2000, topP[0]);
        // min-p .2 on logits {0, -2}: token 1 has e^-2 = .135 of the best and is dropped; at temperature 2 it would
        // have e^-1 = .37
        int[] minP = histogram(new Sampler(plain(9).withMinP(0.2f).withTemperature(2f), 2),
                new float[] {0f, -2f}, 2000);
        assertEquals(2000, minP[0]);
        int[] contrast = histogram(new Sampler(plain(9).withTemperature(3f), 2), new float[] {0f, -1f}, 2000);
        assertTrue(contrast[1] > 500, "with nothing truncated, temperature 3 gives token 1 often");
    }

    @Test
    void sameSeedSameTokensAndResetReplays() {
        Random r = new Random(11);
        float[][] rows = new float[300][1000];
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) r.nextGaussian() * 2f;
            }
        }
        SamplingParams p = SamplingParams.defaults().withPenalties(1.1f, 0.1f, 0.1f, 32).withSeed(1234);
        int[] a = run(new Sampler(p, 1000), rows);
        assertArrayEquals(a, run(new Sampler(p, 1000), rows));
        Sampler reused = new Sampler(p, 1000);
        run(reused, rows);
        reused.reset();
        assertArrayEquals(a, run(reused, rows));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(run(new Sampler(p.withSeed(4321), 1000), rows)));
        assertEquals(1234, new Sampler(p, 1000).seed());
    }

    private static int[] run(Sampler s, float[][] rows) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = s.sample(rows[i]);
            s.accept(out[i]);
        }
        return out;
    }

    @Test
    void drawsFollowTheSoftmaxOfTheTemperedLogits() {
        float[] logits = {0.5f, 1.0f, -0.3f, 2.0f, 0.0f, 1.5f};
        assertChiSquare(new Sampler(plain(42).withTemperature(0.7f), 6), logits, 0.7, logits.length);
        // top-k 3 keeps tokens 3, 5, 1: the draw follows their softmax alone
        assertChiSquare(new Sampler(plain(43).withTopK(3).withTemperature(1.3f), 6), logits, 1.3, 3);
    }

    /** Chi-square of the drawn counts against the softmax of the {@code keep} largest logits at temperature t. */
    private static void assertChiSquare(Sampler s, float[] logits, double t, int keep) {
        int draws = 60_000;
        int[] counts = histogram(s, logits, draws);
        double[] sortedDesc = java.util.stream.IntStream.range(0, logits.length)
                .mapToDouble(i -> logits[i]).map(v -> -v).sorted().map(v -> -v).toArray();
        double cutoff = sortedDesc[keep - 1];
        double z = 0;
        for (float l : logits) {
            if (l >= cutoff) {
                z += Math.exp(l / t);
            }
        }
        double chi2 = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < cutoff) {
                assertEquals(0, counts[i], "token " + i + " was cut by top-k");
                continue;
            }
            double expected = draws * Math.exp(logits[i] / t) / z;
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        // the 0.1% critical value of chi-square with 5 degrees of freedom is 20.5 (fewer degrees: smaller)
        assertTrue(chi2 < 20.5, "chi-square " + chi2 + " for counts " + java.util.Arrays.toString(counts));
    }

    @Test
    void aStepOnALargeVocabularyAllocatesNothing() {
        int vocab = 151_936;
        Random r = new Random(3);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) r.nextGaussian() * 3f;
        }
        Sampler s = new Sampler(SamplingParams.defaults().withPenalties(1.1f, 0f, 0f, 64).withSeed(8), vocab);
        for (int i = 0; i < 300; i++) {
            s.accept(s.sample(logits)); // warm up, and fill the penalty window
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 200; i++) {
            s.accept(s.sample(logits));
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 64 * 1024, "200 steps allocated " + allocated + " bytes");
    }
}
