package org.ristretto.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;

/**
 * RoPE against a double-precision reference written from the definition in {@link RopeSpec}'s contract (ggml's
 * {@code ggml_rope_ext} / YaRN): every layout, partial rotation, frequency factors, linear scaling and YaRN, at
 * positions after a start offset.
 *
 * <p>Tolerance: ggml (and the backend) builds the angle of pair {@code i} by {@code i} float multiplications, so the
 * angle carries a relative error of about {@code i · 2^-24}, an absolute one of {@code p · i · s^i · 2^-24} with
 * {@code s = base^(-2/d)}. Over these cases {@code i · s^i} stays below 1.3 and positions below 255, so angles are off
 * by at most about 2e-5 rad; with float rounding of the products, 1e-4 absolute on N(0,1) inputs covers it and
 * nothing coarser: a wrong pairing, frequency, factor or ramp moves values by order 1.
 */
class RopeTest {

    record Case(String name, RopeLayout layout, int headDim, int dims, float base, float freqScale,
                boolean factors, float ext, float attn, int origCtx) {
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("llama plain", RopeLayout.NORMAL, 64, 64, 10000f, 1f, false, 0f, 1f, 0),
                new Case("neox plain", RopeLayout.NEOX, 64, 64, 1e6f, 1f, false, 0f, 1f, 0),
                new Case("neox partial", RopeLayout.NEOX, 48, 16, 10000f, 1f, false, 0f, 1f, 0),
                new Case("normal partial", RopeLayout.NORMAL, 40, 24, 500000f, 1f, false, 0f, 1f, 0),
                new Case("llama3 factors", RopeLayout.NORMAL, 32, 32, 500000f, 1f, true, 0f, 1f, 0),
                new Case("linear x4", RopeLayout.NORMAL, 32, 32, 10000f, 0.25f, false, 0f, 1f, 0),
                new Case("yarn x4", RopeLayout.NEOX, 64, 64, 10000f, 0.25f, false, 1f, 1f, 64),
                new Case("yarn x8 factors", RopeLayout.NORMAL, 32, 32, 10000f, 0.125f, true, 1f, 0.9f, 128),
                new Case("attn factor", RopeLayout.NEOX, 16, 16, 10000f, 1f, false, 0f, 1.3f, 0))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDefinition(Case c) {
        Random rnd = new Random(c.name().hashCode());
        int heads = 3;
        int tokens = 5;
        int startPos = 250;
        float[] x = AttentionTest.gaussian(rnd, tokens * heads * c.headDim(), 1f);
        float[] ff = new float[c.dims() / 2];
        for (int i = 0; i < ff.length; i++) {
            ff[i] = 1f + rnd.nextFloat() * 7f;
        }
        float[] got = new float[x.length];
        try (CpuBackend backend = new CpuBackend(CpuBackendProvider.hostDevice(), 2); Arena arena = Arena.ofConfined()) {
            Tensor factors = null;
            if (c.factors()) {
                MemorySegment seg = arena.allocate(4L * ff.length);
                MemorySegment.copy(ff, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, ff.length);
                factors = backend.weight("rope_freqs.weight", GgmlType.F32, ff.length, 1, seg);
            }
            RopeSpec spec = new RopeSpec(c.layout(), c.dims(), c.base(), c.freqScale(), factors, c.ext(), c.attn(),
                    32f, 1f, c.origCtx());
            Tensor t = backend.allocate("x", heads * c.headDim(), tokens);
            backend.write(t, x, 0);
            backend.rope(t, c.headDim(), startPos, spec);
            backend.read(t, got, 0);
        }
        double worst = 0;
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int at = (t * heads + h) * c.headDim();
                double[] want = reference(x, at, startPos + t, c, c.factors() ? ff : null);
                for (int i = 0; i < c.headDim(); i++) {
                    worst = Math.max(worst, Math.abs(want[i] - got[at + i]));
                }
            }
        }
        assertTrue(worst < 1e-4, c.name() + ": max difference " + worst);
    }

    /** One head rotated as the definition says, in double. */
    private static double[] reference(float[] x, int at, int pos, Case c, float[] ff) {
        int d = c.dims();
        double[] out = new double[c.headDim()];
        for (int i = 0; i < c.headDim(); i++) {
            out[i] = x[at + i];
        }
        double low = 0;
        double high = 0;
        if (c.ext() != 0) {
            low = Math.max(0, Math.floor(corrDim(d, c.origCtx(), 32, c.base())));
            high = Math.min(d - 1, Math.ceil(corrDim(d, c.origCtx(), 1, c.base())));
        }
        for (int i = 0; i < d / 2; i++) {
            double extrap = pos * Math.pow(c.base(), -2.0 * i / d) / (ff == null ? 1 : ff[i]);
            double interp = c.freqScale() * extrap;
            double theta = interp;
            double mscale = c.attn();
            if (c.ext() != 0) {
                double y = (i - low) / Math.max(0.001, high - low);
                double mix = (1 - Math.min(1, Math.max(0, y))) * c.ext();
                theta = interp * (1 - mix) + extrap * mix;
                mscale *= 1 + 0.1 * Math.log(1 / c.freqScale());
            }
            int a = c.layout() == RopeLayout.NORMAL ? 2 * i : i;
            int b = c.layout() == RopeLayout.NORMAL ? 2 * i + 1 : i + d / 2;
            double x0 = x[at + a];
            double x1 = x[at + b];
            out[a] = (x0 * Math.cos(theta) - x1 * Math.sin(theta)) * mscale;
            out[b] = (x0 * Math.sin(theta) + x1 * Math.cos(theta)) * mscale;
        }
        return out;
    }

    private static double corrDim(int dims, int origCtx, double rotations, double base) {
        return dims * Math.log(origCtx / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }
}
