package org.ristretto.core.quant;

import java.util.Arrays;

/**
 * The scale searches of ggml's K-quant reference quantizers ({@code nearest_int}, {@code make_qx_quants},
 * {@code make_q3_quants}, {@code make_qkx2_quants}), reproduced operation for operation in float arithmetic so that the
 * chosen levels match ggml bit for bit. Java float arithmetic is IEEE single precision without contraction, which is
 * what ggml's reference C code computes when built without FMA contraction.
 *
 * <p>Levels are written to {@code int} arrays; ggml keeps them in 8-bit arrays but every level fits.
 */
final class ScaleSearch {
    /** ggml's {@code GROUP_MAX_EPS}: a group whose largest magnitude is below it counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {}

    /**
     * Rounds to the nearest integer, ties to even, by adding 1.5 * 2^23 and reading the low mantissa bits (ggml's
     * {@code nearest_int}); valid for |v| up to 2^22, and for larger values it returns what ggml returns.
     */
    static int nearestInt(float v) {
        float biased = v + 12582912.0f;
        return (Float.floatToRawIntBits(biased) & 0x007fffff) - 0x00400000;
    }

    /**
     * {@code make_qx_quants} with {@code rmse_type = 1} and no importance weights (each value weighted by its square):
     * symmetric levels in [-nmax, nmax - 1], stored offset by {@code nmax}. Tries 19 scales around {@code -nmax/max}
     * and keeps the one that maximizes the weighted fit.
     *
     * @return the scale: value {@code i} is approximately {@code scale * (L[i] - nmax)}
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            Arrays.fill(levels, lo, lo + n, 0);
            return 0.0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            levels[lo + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    levels[lo + i] = nmax + clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * {@code make_q3_quants} with {@code do_rmse = true}: symmetric levels in [-nmax, nmax - 1] (stored offset by
     * {@code nmax}), then up to five passes that move single levels while that improves the value-squared-weighted fit.
     *
     * @return the scale: value {@code i} is approximately {@code scale * (L[i] - nmax)}
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            Arrays.fill(levels, lo, lo + n, 0);
            return 0.0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            levels[lo + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int li = levels[lo + i];
                float w = xi * xi;
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = clamp(nearestInt(xi * sl2 / slx), -nmax, nmax - 1);
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            levels[lo + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] += nmax;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric levels in [0, nmax] for {@code x ~ scale * L - min}, with {@code min >= 0}.
     * Starts from the full range, then tries {@code nstep + 1} scales {@code (rmin + rdelta * is + nmax) / range},
     * solving the weighted least-squares scale and offset for each set of levels and keeping the lowest weighted error
     * (absolute when {@code useMad}, squared otherwise).
     *
     * @param mins receives the offset {@code -min} (non-negative) at index {@code mi}
     * @return the scale
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] levels, int lo,
            float[] mins, int mi, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(levels, lo, lo + n, 0);
            mins[mi] = -min;
            return 0.0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
            levels[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        int[] aux = new int[n];
        for (int is = 0; is <= nstep; is++) {
            // min may have moved to a better fit in an earlier step; ggml uses the updated value here.
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, levels, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[mi] = -min;
        return scale;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
