package org.ristretto.core.sampling;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The candidate tokens of one sampling step and the truncation stages that narrow them, with llama.cpp's semantics.
 *
 * <p>Every buffer is sized to the vocabulary once and reused for every token. Ordering uses one {@code long} key per
 * candidate (the logit mapped to an order-preserving int in the high half, the inverted token id in the low half), so
 * selection and sorting run on primitive arrays without boxing, and equal logits rank the lower token id first.
 * Top-k picks its k tokens with a bounded min-heap rather than sorting the whole vocabulary.
 */
final class Candidates {
    /** llama.cpp's heuristic: top-p over a large unsorted set first tries the 256 best before sorting everything. */
    private static final int TOP_P_FIRST_TRY = 256;
    private static final int TOP_P_PARTIAL_ABOVE = 1024;

    private final int[] ids;
    private final float[] logits;
    private final long[] keys;
    private final float[] probs;
    private int size;
    private boolean sorted;

    Candidates(int vocabSize) {
        ids = new int[vocabSize];
        logits = new float[vocabSize];
        keys = new long[vocabSize];
        probs = new float[vocabSize];
    }

    /** Makes every token a candidate with its logit; the order is by token id, not sorted. */
    void reset(float[] tokenLogits) {
        for (int i = 0; i < tokenLogits.length; i++) {
            ids[i] = i;
            logits[i] = tokenLogits[i];
        }
        size = tokenLogits.length;
        sorted = false;
    }

    int size() {
        return size;
    }

    int id(int i) {
        return ids[i];
    }

    float logit(int i) {
        return logits[i];
    }

    boolean isSorted() {
        return sorted;
    }

    /** Keeps the {@code k} candidates with the largest logits, sorted best first; {@code k <= 0} keeps all. */
    void topK(int k) {
        if (k <= 0 || k >= size) {
            return;
        }
        if (!sorted) {
            selectBest(k);
            adopt(k);
        }
        size = k;
    }

    /**
     * Keeps the smallest best-first prefix whose probabilities (softmax over the current candidates) add up to at
     * least {@code p}, and at least {@code minKeep} candidates; {@code p >= 1} keeps all.
     */
    void topP(float p, int minKeep) {
        if (p >= 1f || size == 0) {
            return;
        }
        float max = maxLogit();
        float sum = 0f;
        for (int i = 0; i < size; i++) {
            sum += (float) Math.exp(logits[i] - max);
        }
        if (sorted) {
            size = topPCut(p, minKeep, max, sum, size, false);
            return;
        }
        int tried = size > TOP_P_PARTIAL_ABOVE ? Math.min(TOP_P_FIRST_TRY, size) : size;
        selectBest(tried);
        int cut = topPCut(p, minKeep, max, sum, tried, true);
        if (cut < 0) {
            selectBest(size);
            cut = topPCut(p, minKeep, max, sum, size, true);
        }
        adopt(cut < 0 ? size : cut);
    }

    /**
     * Walks the best-first order (the candidates themselves, or the first {@code n} keys when {@code fromKeys})
     * adding probabilities; returns the kept count, or -1 when the first {@code n} did not reach {@code p} and more
     * candidates remain.
     */
    private int topPCut(float p, int minKeep, float max, float sum, int n, boolean fromKeys) {
        float cumulative = 0f;
        for (int i = 0; i < n; i++) {
            float logit = fromKeys ? keyLogit(keys[i]) : logits[i];
            cumulative += (float) Math.exp(logit - max) / sum;
            if (cumulative >= p && i + 1 >= minKeep) {
                return i + 1;
            }
        }
        return n < size ? -1 : size;
    }

    /**
     * Drops candidates whose probability is below {@code p} times the largest one (a logit below the largest logit
     * plus {@code ln p}), keeping at least {@code minKeep} (and always the best); {@code p <= 0} keeps all.
     */
    void minP(float p, int minKeep) {
        if (p <= 0f || size == 0) {
            return;
        }
        float threshold = maxLogit() + (float) Math.log(p);
        if (!sorted) {
            int kept = 0;
            for (int i = 0; i < size; i++) {
                if (logits[i] >= threshold) {
                    kept++;
                }
            }
            if (kept > 0 && kept >= minKeep) {
                int at = 0;
                for (int i = 0; i < size; i++) {
                    if (logits[i] >= threshold) {
                        ids[at] = ids[i];
                        logits[at] = logits[i];
                        at++;
                    }
                }
                size = kept;
                return;
            }
            selectBest(size);
            adopt(size);
        }
        int i = 1;
        while (i < size && !(logits[i] < threshold && i >= minKeep)) {
            i++;
        }
        size = i;
    }

    /** Divides every candidate's logit by {@code t}, which must be above zero. */
    void temperature(float t) {
        for (int i = 0; i < size; i++) {
            logits[i] /= t;
        }
    }

    /**
     * Draws one candidate from the softmax of the logits with one uniform number from {@code rng}: the first
     * candidate whose running sum of weights reaches the drawn fraction of the total, as llama.cpp's dist sampler.
     */
    int draw(RandomGenerator rng) {
        if (size == 1) {
            return ids[0];
        }
        float max = maxLogit();
        double total = 0;
        for (int i = 0; i < size; i++) {
            float w = (float) Math.exp(logits[i] - max);
            probs[i] = w;
            total += w;
        }
        double target = total * rng.nextDouble();
        double running = 0;
        int last = -1;
        for (int i = 0; i < size; i++) {
            if (probs[i] > 0f) {
                running += probs[i];
                last = i;
                if (running >= target) {
                    return ids[i];
                }
            }
        }
        return ids[last]; // rounding left the running sum a hair below the target
    }

    private float maxLogit() {
        if (sorted) {
            return logits[0];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, logits[i]);
        }
        return max;
    }

    /**
     * Puts the keys of the {@code n} best candidates into {@code keys[0..n)}, best first, leaving the candidates as
     * they are. A min-heap of n keys holds the best seen so far, so this costs O(size log n).
     */
    private void selectBest(int n) {
        if (n == size) {
            for (int i = 0; i < size; i++) {
                keys[i] = key(logits[i], ids[i]);
            }
            Arrays.sort(keys, 0, size);
        } else {
            for (int i = 0; i < n; i++) {
                keys[i] = key(logits[i], ids[i]);
            }
            heapify(n);
            for (int i = n; i < size; i++) {
                long k = key(logits[i], ids[i]);
                if (k > keys[0]) {
                    keys[0] = k;
                    siftDown(0, n);
                }
            }
            Arrays.sort(keys, 0, n);
        }
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
    }

    /** Makes the first {@code n} keys (best first) the candidates. */
    private void adopt(int n) {
        for (int i = 0; i < n; i++) {
            ids[i] = keyId(keys[i]);
            logits[i] = keyLogit(keys[i]);
        }
        size = n;
        sorted = true;
    }

    private void heapify(int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(i, n);
        }
    }

    private void siftDown(int i, int n) {
        long v = keys[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && keys[child + 1] < keys[child]) {
                child++;
            }
            if (keys[child] >= v) {
                break;
            }
            keys[i] = keys[child];
            i = child;
        }
        keys[i] = v;
    }

    /** A key that orders by logit, then by lower token id; -0.0 and 0.0 are made equal first. */
    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0f);
        int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
        return ((long) ordered << 32) | (~id & 0xFFFFFFFFL);
    }

    static int keyId(long key) {
        return ~(int) key;
    }

    static float keyLogit(long key) {
        int ordered = (int) (key >> 32);
        return Float.intBitsToFloat(ordered >= 0 ? ordered : ordered ^ 0x7FFFFFFF);
    }
}
