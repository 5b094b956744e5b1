package org.ristretto.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RMSNorm and RoPE against plain double-precision references. The RoPE reference follows ggml's
 * {@code ggml_rope_ext} step by step (theta_extrap, interpolation, YaRN ramp mix and magnitude), independently of the
 * folded per-pair table {@link RopeFrequencies} computes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NormRopeKernelTest {
    private OpenClRuntime runtime;
    private OpenClOps ops;

    @BeforeAll
    void open() {
        runtime = OpenClTestSupport.openPreferredDevice();
        ops = new OpenClOps(runtime);
    }

    @AfterAll
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @ParameterizedTest(name = "{0} groups of {1}")
    @CsvSource({"1, 1", "1, 64", "3, 172", "5, 4096", "24, 8", "7, 130"})
    void rmsNormMatchesReference(int groups, int n) {
        SplittableRandom random = new SplittableRandom(groups * 100 + n);
        float[] x = OpenClTestSupport.randomFloats(random, groups * n, 2f);
        float[] w = OpenClTestSupport.randomFloats(random, n, 1f);
        float eps = 1e-5f;
        try (DeviceBuffer xb = runtime.upload(x, "x"); DeviceBuffer wb = runtime.upload(w, "w");
                DeviceBuffer out = runtime.allocate(x.length * 4L, "out")) {
            ops.rmsNorm(xb.all(), wb.all(), out.all(), groups, n, eps);
            float[] y = out.readFloats();
            for (int g = 0; g < groups; g++) {
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    ss += (double) x[g * n + i] * x[g * n + i];
                }
                double scale = 1 / Math.sqrt(ss / n + eps);
                for (int i = 0; i < n; i++) {
                    double ref = x[g * n + i] * scale * w[i];
                    assertClose(ref, y[g * n + i], 1e-5 * Math.abs(x[g * n + i] * scale * w[i]) + 1e-6,
                            "group " + g + " value " + i);
                }
            }
        }
    }

    @Test
    void rmsNormInPlace() {
        float[] x = {3f, 4f};
        try (DeviceBuffer xb = runtime.upload(x, "x"); DeviceBuffer wb = runtime.upload(new float[] {1f, 2f}, "w")) {
            ops.rmsNorm(xb.all(), wb.all(), xb.all(), 1, 2, 0f);
            float[] y = xb.readFloats();
            double s = 1 / Math.sqrt(12.5);
            assertEquals(3 * s, y[0], 1e-6);
            assertEquals(8 * s, y[1], 1e-6);
        }
    }

    @ParameterizedTest(name = "neox={0} tokens={1} heads={2} headDim={3} nRot={4} pos0={5} factors={6} yarn={7}")
    @CsvSource({
        "false, 1, 1, 2, 2, 0, false, false",
        "false, 5, 3, 8, 8, 17, false, false",
        "true, 5, 3, 8, 8, 17, false, false",
        "false, 3, 4, 64, 32, 100, false, false",
        "true, 3, 4, 64, 32, 100, false, false",
        "false, 2, 2, 128, 128, 5000, true, false",
        "true, 4, 2, 64, 64, 3000, false, true",
        "false, 9, 1, 16, 16, 31, true, true"})
    void ropeMatchesGgmlDefinition(boolean neox, int tokens, int heads, int headDim, int nRot, int pos0,
            boolean withFactors, boolean yarn) {
        SplittableRandom random = new SplittableRandom(tokens * 7 + heads * 13 + headDim + pos0);
        float[] x = OpenClTestSupport.randomFloats(random, tokens * heads * headDim, 1f);
        float base = neox ? 1_000_000f : 10_000f;
        float[] factors = null;
        if (withFactors) {
            factors = new float[nRot / 2];
            for (int i = 0; i < factors.length; i++) {
                factors[i] = 1f + (float) random.nextDouble(0, 7);
            }
        }
        double freqScale = yarn ? 0.25 : 1;
        double extFactor = yarn ? 1 : 0;
        double attnFactor = yarn ? 0.9 : 1;
        int originalContext = 4096;
        RopeFrequencies table = RopeFrequencies.of(nRot, base, freqScale, factors, extFactor, attnFactor, 32, 1,
                originalContext);
        try (DeviceBuffer xb = runtime.allocate((x.length + 3L) * 4, "x");
                DeviceBuffer fb = runtime.upload(table.perPair(), "freq")) {
            xb.write(3, x, 0, x.length);
            ops.rope(xb.all().slice(12, x.length * 4L), tokens, heads, headDim, nRot, pos0, fb, table.mscale(),
                    neox);
            float[] all = xb.readFloats();
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = (t * heads + h) * headDim;
                    double[] ref = ropeReference(x, o, headDim, nRot, pos0 + t, base, freqScale, factors, extFactor,
                            attnFactor, originalContext, neox);
                    for (int d = 0; d < headDim; d++) {
                        // Angles reach thousands of radians: float rounding of the angle dominates the error.
                        double tol = 2e-6 * (pos0 + t + 1) * (Math.abs(x[o + d]) + 1) + 1e-5;
                        assertClose(ref[d], all[3 + o + d], tol, "token " + t + " head " + h + " dim " + d);
                    }
                }
            }
        }
    }

    /** ggml's rope_f32 for one head, in double: theta_extrap, then rope_yarn's interpolation and ramp. */
    private static double[] ropeReference(float[] x, int o, int headDim, int nRot, int pos, double base,
            double freqScale, float[] factors, double extFactor, double attnFactor, int nCtxOrig, boolean neox) {
        double[] out = new double[headDim];
        for (int d = 0; d < headDim; d++) {
            out[d] = x[o + d];
        }
        double low = Math.max(0, Math.floor(nRot * Math.log(nCtxOrig / (32 * 2 * Math.PI)) / (2 * Math.log(base))));
        double high = Math.min(nRot - 1,
                Math.ceil(nRot * Math.log(nCtxOrig / (1 * 2 * Math.PI)) / (2 * Math.log(base))));
        for (int i0 = 0; i0 < nRot; i0 += 2) {
            double thetaExtrap = pos * Math.pow(base, -(double) i0 / nRot);
            if (factors != null) {
                thetaExtrap /= factors[i0 / 2];
            }
            double thetaInterp = freqScale * thetaExtrap;
            double theta = thetaInterp;
            double mscale = attnFactor;
            if (extFactor != 0) {
                double y = (i0 / 2 - low) / Math.max(0.001, high - low);
                double rampMix = (1 - Math.min(1, Math.max(0, y))) * extFactor;
                theta = thetaInterp * (1 - rampMix) + thetaExtrap * rampMix;
                mscale *= 1 + 0.1 * Math.log(1 / freqScale);
            }
            double c = Math.cos(theta) * mscale;
            double s = Math.sin(theta) * mscale;
            int a = neox ? i0 / 2 : i0;
            int b = neox ? i0 / 2 + nRot / 2 : i0 + 1;
            double x0 = x[o + a];
            double x1 = x[o + b];
            out[a] = x0 * c - x1 * s;
            out[b] = x0 * s + x1 * c;
        }
        return out;
    }

    private static void assertClose(double expected, float actual, double tol, String where) {
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(where + ": expected " + expected + " (tolerance " + tol + "), got " + actual);
        }
    }
}
