package org.ristretto.core.synth;

/**
 * Seeded pseudo-normal weights, addressed by tensor name and row so that any row can be made on any thread in any
 * order and still come out the same: a file's bytes depend only on the seed, not on the thread count. The same seed
 * gives the same underlying weights for every file type, so two quantizations of one preset compare like for like.
 *
 * <p>Each row is a SplitMix64 stream seeded from (seed, name, row); pairs of its uniforms become normals by the
 * Box-Muller transform in {@link StrictMath}, whose results are the same on every JVM.
 */
final class RandomWeights {
    private static final double TWO_PI = 2 * Math.PI;
    private final long seed;

    RandomWeights(long seed) {
        this.seed = seed;
    }

    /** Fills {@code dst[off, off + n)} with row {@code row} of tensor {@code name}: normal, mean 0, deviation std. */
    void fillRow(String name, long row, double std, float[] dst, int off, int n) {
        long state = mix(mix(seed ^ 0x5DEECE66DL) + name.hashCode()) + mix(row + 0x9E3779B97F4A7C15L);
        for (int i = 0; i < n; i += 2) {
            state += 0x9E3779B97F4A7C15L;
            double u1 = ((mix(state) >>> 11) + 1) * 0x1.0p-53; // (0, 1]: the logarithm stays finite
            state += 0x9E3779B97F4A7C15L;
            double u2 = (mix(state) >>> 11) * 0x1.0p-53;
            double r = std * StrictMath.sqrt(-2 * StrictMath.log(u1));
            double a = TWO_PI * u2;
            dst[off + i] = (float) (r * StrictMath.cos(a));
            if (i + 1 < n) {
                dst[off + i + 1] = (float) (r * StrictMath.sin(a));
            }
        }
    }

    /** SplitMix64's finalizer: a bijection that spreads every input bit over the output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
