package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.Fp16;

/**
 * Quantizes activations to ggml's Q8_0 and Q8_K, bit for bit as {@code quantize_row_q8_0_ref} and
 * {@code quantize_row_q8_K_ref} do.
 *
 * <p>The public methods write ggml's block layout. The kernels use a split layout of the same numbers (quants in
 * one array, scales and sums in others) so that their loops load quants without skipping headers.
 *
 * <p>Written by the kernel rules in {@code IntDot}; its rule on scalar operands comes from {@code q8_K} here.
 */
public final class ActivationQuantizer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Values per Q8_0 block. */
    public static final int Q8_0_BLOCK = 32;
    /** Bytes per Q8_0 block: an fp16 scale, then 32 int8. */
    public static final int Q8_0_BYTES = 34;
    /** Values per Q8_K block. */
    public static final int Q8_K_BLOCK = 256;
    /** Bytes per Q8_K block: a float scale, 256 int8, then 16 int16 sums of 16 quants each. */
    public static final int Q8_K_BYTES = 292;

    /** Floats of at most 256 bits: a Q8_0 block is 32 values, and 256 divides both block sizes at every width. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = F.vectorBitSize() == 256 ? IntVector.SPECIES_256
            : IntVector.SPECIES_128;
    private static final VectorSpecies<Short> S = F.vectorBitSize() == 256 ? ShortVector.SPECIES_128
            : ShortVector.SPECIES_64;

    private ActivationQuantizer() {}

    /**
     * Writes {@code n} floats of {@code x} from {@code off} as Q8_0 blocks at byte {@code dstOffset} of {@code dst}.
     *
     * @throws IllegalArgumentException if {@code n} is not a multiple of 32
     */
    public static void quantizeQ8_0(float[] x, int off, int n, MemorySegment dst, long dstOffset) {
        int blocks = blocks(n, Q8_0_BLOCK);
        Objects.checkFromIndexSize(off, n, x.length);
        Objects.checkFromIndexSize(dstOffset, (long) blocks * Q8_0_BYTES, dst.byteSize());
        short[] q = new short[Q8_0_BLOCK];
        float[] d = new float[1];
        float[] sum = new float[1];
        for (int b = 0; b < blocks; b++) {
            q8_0(x, off + b * Q8_0_BLOCK, Q8_0_BLOCK, q, 0, d, 0, sum, 0);
            long o = dstOffset + (long) b * Q8_0_BYTES;
            dst.set(IntDot.I16, o, Fp16.fromFloat(d[0]));
            for (int j = 0; j < Q8_0_BLOCK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) q[j]);
            }
        }
    }

    /** As {@link #quantizeQ8_0(float[], int, int, MemorySegment, long)}, into a byte array. */
    public static void quantizeQ8_0(float[] x, int off, int n, byte[] dst, int dstOffset) {
        quantizeQ8_0(x, off, n, MemorySegment.ofArray(dst), dstOffset);
    }

    /**
     * Writes {@code n} floats of {@code x} from {@code off} as Q8_K blocks at byte {@code dstOffset} of {@code dst}.
     *
     * @throws IllegalArgumentException if {@code n} is not a multiple of 256
     */
    public static void quantizeQ8_K(float[] x, int off, int n, MemorySegment dst, long dstOffset) {
        int blocks = blocks(n, Q8_K_BLOCK);
        Objects.checkFromIndexSize(off, n, x.length);
        Objects.checkFromIndexSize(dstOffset, (long) blocks * Q8_K_BYTES, dst.byteSize());
        short[] q = new short[Q8_K_BLOCK];
        float[] d = new float[1];
        short[] bsums = new short[Q8_K_BLOCK / 16];
        for (int b = 0; b < blocks; b++) {
            q8_K(x, off + b * Q8_K_BLOCK, Q8_K_BLOCK, q, 0, d, 0, bsums, 0);
            long o = dstOffset + (long) b * Q8_K_BYTES;
            dst.set(F32, o, d[0]);
            for (int j = 0; j < Q8_K_BLOCK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) q[j]);
            }
            for (int j = 0; j < bsums.length; j++) {
                dst.set(IntDot.I16, o + 4 + Q8_K_BLOCK + 2L * j, bsums[j]);
            }
        }
    }

    /** As {@link #quantizeQ8_K(float[], int, int, MemorySegment, long)}, into a byte array. */
    public static void quantizeQ8_K(float[] x, int off, int n, byte[] dst, int dstOffset) {
        quantizeQ8_K(x, off, n, MemorySegment.ofArray(dst), dstOffset);
    }

    /**
     * Q8_0 in the split layout: for each block {@code b} of 32, quants at {@code q[qOff + 32b ...]}, the scale as
     * stored (rounded to fp16) at {@code d[dOff + b]} and that scale times the sum of its quants at
     * {@code sum[sOff + b]}.
     *
     * <p>Vectorized; bit for bit the scalar reference: the scale and its inverse are computed in scalar float as the
     * reference does, the product {@code x·(1/d)} is one float multiply per lane either way, and C's {@code roundf}
     * is rebuilt exactly from truncation: {@code v − trunc(v)} is exact for {@code |v| < 2^23}, and a fraction of at
     * least one half moves the result one away from zero.
     */
    static void q8_0(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff, float[] sum, int sOff) {
        int l = F.length();
        // Operands as vectors made here, not scalars (IntDot).
        IntVector one = IntVector.broadcast(I, 1);
        IntVector minusOne = IntVector.broadcast(I, -1);
        FloatVector zero = FloatVector.zero(F);
        FloatVector half = FloatVector.broadcast(F, 0.5f);
        IntVector zeroInt = IntVector.zero(I);
        for (int b = 0; b < n / Q8_0_BLOCK; b++) {
            int xo = off + b * Q8_0_BLOCK;
            FloatVector amaxV = FloatVector.fromArray(F, x, xo).abs();
            for (int j = l; j < Q8_0_BLOCK; j += l) {
                amaxV = FloatVector.fromArray(F, x, xo + j).abs().max(amaxV);
            }
            float amax = amaxV.reduceLanes(VectorOperators.MAX);
            float scale = amax / 127;
            FloatVector inv = FloatVector.broadcast(F, scale != 0 ? 1.0f / scale : 0.0f);
            IntVector total = IntVector.zero(I);
            for (int j = 0; j < Q8_0_BLOCK; j += l) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j).mul(inv);
                IntVector t = (IntVector) v.convertShape(VectorOperators.F2I, I, 0);
                FloatVector frac = v.sub((FloatVector) t.convertShape(VectorOperators.I2F, F, 0));
                IntVector away = one.blend(minusOne, v.compare(VectorOperators.LT, zero).cast(I));
                // A blend, not a masked add: C2 left Int256Vector's masked add to its Java fallback (JFR
                // allocation samples).
                IntVector r = t.add(zeroInt.blend(away, frac.abs().compare(VectorOperators.GE, half).cast(I)));
                ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, qOff + b * Q8_0_BLOCK + j);
                total = r.add(total);
            }
            d[dOff + b] = Fp16.round(scale);
            sum[sOff + b] = d[dOff + b] * total.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * Q8_K in the split layout: for each block {@code b} of 256, quants at {@code q[qOff + 256b ...]}, the float
     * scale at {@code d[dOff + b]} and the sums of each 16 quants at {@code bsums[bOff + 16b ...]}.
     *
     * <p>Vectorized; bit for bit the scalar reference: the signed maximum is the first element of largest magnitude,
     * as the reference's strict comparison picks it, and ggml's {@code nearest_int} (add 1.5·2^23, keep the low
     * mantissa bits) is integer arithmetic on the float's bits in every lane.
     */
    static void q8_K(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff, short[] bsums, int bOff) {
        int l = F.length();
        // Operands as vectors made here, not scalars (IntDot).
        FloatVector roundingBias = FloatVector.broadcast(F, 12582912.f);
        IntVector mantissa = IntVector.broadcast(I, 0x007fffff);
        IntVector mantissaBias = IntVector.broadcast(I, 0x00400000);
        IntVector largest = IntVector.broadcast(I, 127);
        IntVector noSum = IntVector.zero(I);
        for (int b = 0; b < n / Q8_K_BLOCK; b++) {
            int xo = off + b * Q8_K_BLOCK;
            int qo = qOff + b * Q8_K_BLOCK;
            FloatVector amaxV = FloatVector.fromArray(F, x, xo).abs();
            for (int j = l; j < Q8_K_BLOCK; j += l) {
                amaxV = FloatVector.fromArray(F, x, xo + j).abs().max(amaxV);
            }
            float amax = amaxV.reduceLanes(VectorOperators.MAX);
            float max;
            if (Float.isNaN(amax)) {
                // The reference's strict comparison skips NaNs; the vector maximum does not.
                amax = 0;
                max = 0;
                for (int j = 0; j < Q8_K_BLOCK; j++) {
                    float ax = Math.abs(x[xo + j]);
                    if (ax > amax) {
                        amax = ax;
                        max = x[xo + j];
                    }
                }
            } else {
                // The first lane of largest magnitude, a vector at a time.
                FloatVector amaxB = FloatVector.broadcast(F, amax);
                int first = xo;
                VectorMask<Float> at = FloatVector.fromArray(F, x, first).abs().compare(VectorOperators.EQ, amaxB);
                while (!at.anyTrue()) {
                    first += l;
                    at = FloatVector.fromArray(F, x, first).abs().compare(VectorOperators.EQ, amaxB);
                }
                max = x[first + at.firstTrue()];
            }
            if (amax == 0) {
                java.util.Arrays.fill(q, qo, qo + Q8_K_BLOCK, (short) 0);
                java.util.Arrays.fill(bsums, bOff + 16 * b, bOff + 16 * b + 16, (short) 0);
                d[dOff + b] = 0;
                continue;
            }
            float iscale = -127f / max;
            FloatVector scale = FloatVector.broadcast(F, iscale);
            IntVector sum16 = noSum;
            for (int j = 0; j < Q8_K_BLOCK; j += l) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j).mul(scale).add(roundingBias);
                IntVector r = v.reinterpretAsInts().and(mantissa).sub(mantissaBias).min(largest);
                ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, qo + j);
                sum16 = r.add(sum16);
                if (((j + l) & 15) == 0) {
                    bsums[bOff + 16 * b + j / 16] = (short) sum16.reduceLanes(VectorOperators.ADD);
                    sum16 = noSum;
                }
            }
            d[dOff + b] = 1 / iscale;
        }
    }

    private static int blocks(int n, int block) {
        if (n < 0 || n % block != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of blocks of " + block);
        }
        return n / block;
    }
}
