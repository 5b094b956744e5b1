package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * The scale-and-min part shared by the Q4_K and Q5_K reference quantizers: per 32-value sub-block a
 * {@code make_qkx2_quants} fit, then the eight scales and eight mins quantized to 6 bits against fp16 super-scales,
 * then every value requantized against the stored scales.
 */
final class KQuantAsymmetric {
    private KQuantAsymmetric() {}

    /**
     * Fits, packs and stores {@code d}, {@code dmin} and the 12 scale bytes of one 256-value block, and leaves the
     * final levels (0..nmax) in {@code levels}.
     */
    static void quantizeScalesAndMins(float[] x, int xo, int nmax, float rmin, float rdelta, int nstep, int[] levels,
            MemorySegment dst, long dAt, long dminAt, long scalesAt) {
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                float v = x[xo + 32 * j + l];
                sumX2 += v * v;
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
            }
            scales[j] = ScaleSearch.makeQkx2Quants(32, nmax, x, xo + 32 * j, weights, levels, 32 * j, mins, j,
                    rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            // ggml stores nearest_int into a uint8_t before clamping to 63.
            ls[j] = Math.min(63, ScaleSearch.nearestInt(invScale * scales[j]) & 0xff);
            lm[j] = Math.min(63, ScaleSearch.nearestInt(invMin * mins[j]) & 0xff);
        }
        KScales.packK4(ls, lm, dst, scalesAt);
        BlockIo.putF16(dst, dAt, maxScale / 63.0f);
        BlockIo.putF16(dst, dminAt, maxMin / 63.0f);
        float d = BlockIo.f16(dst, dAt);
        float dmin = BlockIo.f16(dst, dminAt);
        for (int j = 0; j < 8; j++) {
            float dl = d * KScales.scaleK4(dst, scalesAt, j);
            if (dl == 0) {
                continue;
            }
            float ml = dmin * KScales.minK4(dst, scalesAt, j);
            for (int ii = 0; ii < 32; ii++) {
                int l = ScaleSearch.nearestInt((x[xo + 32 * j + ii] + ml) / dl);
                levels[32 * j + ii] = ScaleSearch.clamp(l, 0, nmax);
            }
        }
    }
}
