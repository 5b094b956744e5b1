package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/** The activation quantizers against the scalar references, byte for byte. */
class ActivationQuantizerTest {

    /**
     * Inputs that stress rounding: ties at .5, a block of zeros, huge and tiny magnitudes, both signs of amax, a NaN
     * and an infinity (garbage in, but the same garbage out as the reference).
     */
    static float[] input(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i / 32 % 8) {
                case 0 -> (float) rnd.nextDouble(-1, 1);
                case 1 -> 0f;
                case 2 -> (rnd.nextInt(-127, 128) + 0.5f) / 127f * 3f; // many exact ties after scaling
                case 3 -> (float) (rnd.nextDouble(-1, 1) * 1e-30);
                case 4 -> (float) (rnd.nextDouble(-1, 1) * 6e4);
                case 5 -> i % 32 == 5 ? -2.5f : (float) rnd.nextDouble(-2.5, 2.5);
                case 6 -> i % 32 == 9 ? Float.NaN : (float) rnd.nextDouble(-1, 1);
                default -> i % 32 == 3 ? Float.POSITIVE_INFINITY : (float) rnd.nextDouble(-1, 1);
            };
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 256, 2048, 4096 + 256})
    void q8_0MatchesReference(int n) {
        float[] x = input(n, n);
        byte[] ours = new byte[n / 32 * 34 + 7];
        byte[] ref = new byte[ours.length];
        ActivationQuantizer.quantizeQ8_0(x, 3, n, ours, 7);
        QuantFormats.of(GgmlType.Q8_0).quantize(x, 3, MemorySegment.ofArray(ref), 7, n);
        assertArrayEquals(ref, ours);
    }

    @Test
    void q8_KZeroBlockMatchesReference() {
        float[] x = new float[512];
        x[300] = -1.25f;
        byte[] ours = new byte[2 * 292];
        byte[] ref = new byte[ours.length];
        ActivationQuantizer.quantizeQ8_K(x, 0, 512, ours, 0);
        QuantFormats.of(GgmlType.Q8_K).quantize(x, 0, MemorySegment.ofArray(ref), 0, 512);
        assertArrayEquals(ref, ours);
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 2048, 4096 + 256})
    void q8_KMatchesReference(int n) {
        float[] x = input(n, n + 1);
        byte[] ours = new byte[n / 256 * 292 + 5];
        byte[] ref = new byte[ours.length];
        ActivationQuantizer.quantizeQ8_K(x, 3, n, ours, 5);
        QuantFormats.of(GgmlType.Q8_K).quantize(x, 3, MemorySegment.ofArray(ref), 5, n);
        assertArrayEquals(ref, ours);
    }

    /** The signed maximum is the first element of largest magnitude, wherever it falls in the block's vectors. */
    @ParameterizedTest
    @CsvSource({"0, 255", "7, 8", "8, 7", "2, 5", "5, 2", "70, 200", "200, 70", "255, 0", "15, 16"})
    void q8_KTakesTheFirstOfEqualMagnitudes(int negative, int positive) {
        float[] x = input(256, negative * 256L + positive);
        for (int i = 0; i < 256; i++) {
            x[i] = Math.max(-1, Math.min(1, Float.isFinite(x[i]) ? x[i] : 0)) * 0.5f;
        }
        x[negative] = -3f;
        x[positive] = 3f;
        byte[] ours = new byte[292];
        byte[] ref = new byte[ours.length];
        ActivationQuantizer.quantizeQ8_K(x, 0, 256, ours, 0);
        QuantFormats.of(GgmlType.Q8_K).quantize(x, 0, MemorySegment.ofArray(ref), 0, 256);
        assertArrayEquals(ref, ours);
    }

    @Test
    void rejectsPartialBlocks() {
        assertThrows(IllegalArgumentException.class,
                () -> ActivationQuantizer.quantizeQ8_0(new float[40], 0, 40, new byte[68], 0));
        assertThrows(IllegalArgumentException.class,
                () -> ActivationQuantizer.quantizeQ8_K(new float[300], 0, 288, new byte[600], 0));
    }
}
