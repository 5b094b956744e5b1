package org.ristretto.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU of the feed-forward input, {@code silu(gate) × up} with {@code silu(a) = a / (1 + e^-a)}, as the
 * products apply it to their two results: one value at a time, or a run of them in vectors, the two bit for bit the
 * same.
 */
final class SwiGlu {
    private SwiGlu() {}

    /**
     * SwiGLU of one row's two products: {@code silu(gate) × up}, with {@code silu(a) = a / (1 + e^-a)} and
     * {@link FastExp#exp}.
     */
    static float of(float gate, float up) {
        return gate / (FastExp.exp(-gate) + 1f) * up;
    }

    /**
     * {@code out[outOffset + i] = silu(gate[i]) · up[i]} for {@code i < n} (a multiple of the float lanes; {@code out}
     * may be {@code gate}), as {@link #of(float, float)} gives it bit for bit, with {@link FastExp}'s operations
     * written out in vectors: a scalar exponential per value cost about 2% of a 512-token prefill and 1% of a decode
     * step, and the Vector API's own {@code EXP} gives other bits compiled than interpreted. Constants are vectors made
     * here, not scalar operands (IntDot).
     */
    static void apply(Lanes lanes, float[] gate, float[] up, int n, float[] out, int outOffset) {
        apply(lanes, gate, up, 0, n, out, outOffset);
    }

    /** As {@link #apply(Lanes, float[], float[], int, float[], int)} from {@code gate[in]} and {@code up[in]}. */
    static void apply(Lanes lanes, float[] gate, float[] up, int in, int n, float[] out, int outOffset) {
        VectorSpecies<Float> fs = lanes.floats();
        FloatVector one = FloatVector.broadcast(fs, 1f);
        FloatVector minX = FloatVector.broadcast(fs, FastExp.MIN_X);
        FloatVector maxX = FloatVector.broadcast(fs, FastExp.MAX_X);
        FloatVector log2e = FloatVector.broadcast(fs, FastExp.LOG2_E);
        FloatVector rounder = FloatVector.broadcast(fs, FastExp.ROUNDER);
        FloatVector ln2High = FloatVector.broadcast(fs, FastExp.MINUS_LN2_HIGH);
        FloatVector ln2Low = FloatVector.broadcast(fs, FastExp.MINUS_LN2_LOW);
        FloatVector p0 = FloatVector.broadcast(fs, FastExp.P0);
        FloatVector p1 = FloatVector.broadcast(fs, FastExp.P1);
        FloatVector p2 = FloatVector.broadcast(fs, FastExp.P2);
        FloatVector p3 = FloatVector.broadcast(fs, FastExp.P3);
        FloatVector p4 = FloatVector.broadcast(fs, FastExp.P4);
        FloatVector p5 = FloatVector.broadcast(fs, FastExp.P5);
        for (int i = 0; i < n; i += fs.length()) {
            FloatVector g = FloatVector.fromArray(fs, gate, in + i);
            // e^-g as FastExp.exp computes it, operation for operation.
            FloatVector c = g.neg().max(minX).min(maxX);
            FloatVector t = c.fma(log2e, rounder);
            FloatVector k = t.sub(rounder);
            FloatVector r = k.fma(ln2Low, k.fma(ln2High, c));
            FloatVector p = r.fma(p0, p1).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
            FloatVector e = p.fma(r.mul(r), r.add(one)).mul(t.reinterpretAsInts()
                    .sub(FastExp.ROUNDER_BITS_LESS_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            g.div(e.add(one)).mul(FloatVector.fromArray(fs, up, in + i)).intoArray(out, outOffset + i);
        }
    }
}
