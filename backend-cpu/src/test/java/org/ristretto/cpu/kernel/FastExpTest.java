package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link FastExp} against {@code Math.exp}, and the SwiGLU's vector exponential against {@link FastExp#exp} bit for
 * bit, over enough calls that the kernel runs interpreted, in C1 code and in C2 code within one test: the point of
 * {@code FastExp} is that every one of them gives the same bits.
 */
class FastExpTest {
    @Test
    void withinTwoUnitsInTheLastPlaceOfMathExp() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            float x = i < 1000 ? FastExp.MIN_X + i * (FastExp.MAX_X - FastExp.MIN_X) / 999
                    : (float) rnd.nextDouble(FastExp.MIN_X, FastExp.MAX_X);
            float expected = (float) Math.exp(x);
            float actual = FastExp.exp(x);
            int ulps = Math.abs(Float.floatToRawIntBits(actual) - Float.floatToRawIntBits(expected));
            assertTrue(ulps <= 2, "e^" + x + ": " + actual + " against " + expected + ", " + ulps + " ulps");
        }
        assertEquals(1f, FastExp.exp(0f));
        assertEquals(1f, FastExp.exp(-0f));
    }

    @Test
    void argumentsOutsideTheRangeAreClampedAndNanStaysNan() {
        assertEquals(FastExp.exp(FastExp.MIN_X), FastExp.exp(-1000f));
        assertEquals(FastExp.exp(FastExp.MIN_X), FastExp.exp(Float.NEGATIVE_INFINITY));
        assertTrue(FastExp.exp(FastExp.MIN_X) > 0 && FastExp.exp(FastExp.MIN_X) < 1e-37f);
        assertEquals(FastExp.exp(FastExp.MAX_X), FastExp.exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isFinite(FastExp.exp(FastExp.MAX_X)) && FastExp.exp(FastExp.MAX_X) > 1e38f);
        assertTrue(Float.isNaN(FastExp.exp(Float.NaN)));
    }

    @ParameterizedTest
    @EnumSource(value = VectorShape.class, names = {"S_256_BIT", "S_512_BIT"})
    void vectorSwiGluIsTheScalarOneBitForBit(VectorShape shape) {
        Lanes lanes = Lanes.of(shape);
        int n = 4 * lanes.floats().length();
        SplittableRandom rnd = new SplittableRandom(shape.vectorBitSize());
        float[] gate = new float[n + 3];
        float[] up = new float[n + 3];
        float[] out = new float[n + 5];
        for (int round = 0; round < 3000; round++) {
            for (int i = 0; i < gate.length; i++) {
                gate[i] = (float) (rnd.nextDouble(-1, 1) * Math.pow(10, rnd.nextInt(-3, 3)));
                up[i] = (float) rnd.nextDouble(-4, 4);
            }
            gate[3] = 0f;
            gate[4] = -95f; // e^95, clamped
            gate[5] = 95f;
            SwiGlu.apply(lanes, gate, up, 3, n, out, 2);
            for (int i = 0; i < n; i++) {
                float expected = SwiGlu.of(gate[3 + i], up[3 + i]);
                if (Float.floatToRawIntBits(out[2 + i]) != Float.floatToRawIntBits(expected)) {
                    fail(shape + " round " + round + ": silu(" + gate[3 + i] + ")·" + up[3 + i] + " = " + out[2 + i]
                            + ", the scalar definition " + expected);
                }
            }
        }
    }
}
