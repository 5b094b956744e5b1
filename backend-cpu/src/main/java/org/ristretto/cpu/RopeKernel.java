package org.ristretto.cpu;

import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * Rotary position embedding with the arithmetic of ggml's CPU {@code ggml_rope_ext}: per position, the angle of pair
 * {@code i} is built by repeated float multiplication {@code theta *= base^(-2/dims)}, divided by the frequency factor,
 * then mixed between interpolation and extrapolation by YaRN's ramp over the correction dimensions, and cosine and
 * sine are scaled by the attention factor (times {@code 1 + 0.1 ln(1/freqScale)} when {@code extFactor != 0}).
 */
final class RopeKernel {
    private final WorkerPool pool;
    private float[][] cache;
    private final Rows rows = new Rows();

    RopeKernel(WorkerPool pool) {
        this.pool = pool;
        this.cache = new float[pool.threads()][0];
    }

    /** Rotates every head of every row of {@code x} in place; row {@code t} is at {@code startPos + t}. */
    void apply(CpuActivation x, int headDim, int startPos, RopeSpec spec, float[] freqFactors) {
        int dims = spec.dims();
        for (int w = 0; w < cache.length; w++) {
            if (cache[w].length < dims) {
                cache[w] = new float[dims];
            }
        }
        rows.x = x;
        rows.headDim = headDim;
        rows.startPos = startPos;
        rows.spec = spec;
        rows.freqFactors = freqFactors;
        rows.thetaScale = (float) Math.pow(spec.freqBase(), -2.0 / dims);
        correctionDims(dims, spec.originalContext(), spec.freqBase(), spec.betaFast(), spec.betaSlow(), rows.corr);
        pool.forRange(x.rows(), 1, rows);
    }

    /**
     * {@link #apply}'s rows: one range task kept from call to call, the call's arguments in its fields, so that a call
     * allocates nothing.
     */
    private final class Rows implements WorkerPool.RangeTask {
        CpuActivation x;
        int headDim;
        int startPos;
        RopeSpec spec;
        float[] freqFactors;
        float thetaScale;
        final float[] corr = new float[2];

        @Override
        public void run(int from, int to, int worker) {
            float[] cs = cache[worker];
            int dims = spec.dims();
            int heads = x.columns() / headDim;
            float[] data = x.data();
            for (int t = from; t < to; t++) {
                fillCache(cs, startPos + t, dims, thetaScale, freqFactors, corr, spec);
                int row = x.rowOffset(t);
                for (int h = 0; h < heads; h++) {
                    rotate(data, row + h * headDim, cs, dims, spec.layout());
                }
            }
        }
    }

    /** Cosines and sines (interleaved, scaled) of every pair at {@code position}. */
    static void fillCache(float[] cs, int position, int dims, float thetaScale, float[] freqFactors, float[] corr,
                          RopeSpec spec) {
        float theta = position;
        float freqScale = spec.freqScale();
        float ext = spec.extFactor();
        for (int i0 = 0; i0 < dims; i0 += 2) {
            float ff = freqFactors == null ? 1f : freqFactors[i0 / 2];
            float thetaExtrap = theta / ff;
            float thetaInterp = freqScale * thetaExtrap;
            float angle = thetaInterp;
            float mscale = spec.attnFactor();
            if (ext != 0f) {
                float rampMix = ramp(corr[0], corr[1], i0) * ext;
                angle = thetaInterp * (1 - rampMix) + thetaExtrap * rampMix;
                mscale *= 1.0f + 0.1f * (float) Math.log(1.0f / freqScale);
            }
            cs[i0] = (float) Math.cos(angle) * mscale;
            cs[i0 + 1] = (float) Math.sin(angle) * mscale;
            theta *= thetaScale;
        }
    }

    /**
     * YaRN's correction dimensions {@code [start, end]}, written to {@code out[0]} and {@code out[1]}: floor and ceil
     * of where betaFast and betaSlow fall.
     */
    static void correctionDims(int dims, int originalContext, float base, float betaFast, float betaSlow,
                               float[] out) {
        float start = (float) Math.floor(correctionDim(dims, originalContext, betaFast, base));
        float end = (float) Math.ceil(correctionDim(dims, originalContext, betaSlow, base));
        out[0] = Math.max(0f, start);
        out[1] = Math.min(dims - 1, end);
    }

    private static float correctionDim(int dims, int originalContext, float rotations, float base) {
        return dims * (float) Math.log(originalContext / (rotations * 2 * (float) Math.PI))
                / (2 * (float) Math.log(base));
    }

    private static float ramp(float low, float high, int i0) {
        float y = (i0 / 2 - low) / Math.max(0.001f, high - low);
        return 1 - Math.min(1, Math.max(0, y));
    }

    private static void rotate(float[] x, int at, float[] cs, int dims, RopeLayout layout) {
        if (layout == RopeLayout.NORMAL) {
            for (int i0 = 0; i0 < dims; i0 += 2) {
                float c = cs[i0];
                float s = cs[i0 + 1];
                float x0 = x[at + i0];
                float x1 = x[at + i0 + 1];
                x[at + i0] = x0 * c - x1 * s;
                x[at + i0 + 1] = x0 * s + x1 * c;
            }
        } else {
            int half = dims / 2;
            for (int i0 = 0; i0 < dims; i0 += 2) {
                float c = cs[i0];
                float s = cs[i0 + 1];
                int i = at + i0 / 2;
                float x0 = x[i];
                float x1 = x[i + half];
                x[i] = x0 * c - x1 * s;
                x[i + half] = x0 * s + x1 * c;
            }
        }
    }
}
