package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The building blocks of the integer kernels: widening loads and the 16-to-32-bit lane sums.
 *
 * <p>The Vector API has no byte or short dot-product instruction (x86 {@code pmaddubsw}/{@code pmaddwd}), so the
 * kernels multiply weight and activation quants in 16-bit lanes and widen the products to 32 bits by adding
 * neighbouring lanes: {@link #pairSum}. Measured on AVX2 (see the bench module), this beats the Vector API's
 * short-to-int conversion, which needs a cross-lane shuffle for its upper half.
 */
final class IntDot {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private IntDot() {}

    /** The fp16 at byte {@code offset}. */
    static float half(MemorySegment w, long offset) {
        return Float.float16ToFloat(w.get(I16, offset));
    }

    /** {@code shorts.length()} signed bytes from byte {@code offset}, sign-extended to shorts. */
    static ShortVector signedBytes(VectorSpecies<Byte> bytes, VectorSpecies<Short> shorts, MemorySegment w,
            long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(bytes, w, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2S, shorts, 0);
    }

    /** {@code shorts.length()} bytes from byte {@code offset}, zero-extended to shorts (for packed bit fields). */
    static ShortVector unsignedBytes(VectorSpecies<Byte> bytes, VectorSpecies<Short> shorts, MemorySegment w,
            long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(bytes, w, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, shorts, 0);
    }

    /** Lane {@code i} of the result is {@code p[2i] + p[2i+1]}, exactly, as an int. */
    static IntVector pairSum(ShortVector p) {
        IntVector v = p.reinterpretAsInts();
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(v.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * As {@link #pairSum}, one instruction shorter, for callers that know every {@code p[2i] + p[2i+1]} fits in a
     * short: the upper half of {@code v + (v << 16)} then holds that sum.
     */
    static IntVector pairSumNarrow(ShortVector p) {
        IntVector v = p.reinterpretAsInts();
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }

    /**
     * The 32 products of one block of 4-/5-bit weights with activation quants from {@code xb}, summed in 16-bit lanes.
     * The block arrives as pieces of {@code p = lo0.length()} lanes: {@code lo0}/{@code hi0} hold elements
     * {@code [0, p)} and {@code [16, 16 + p)}, and when {@code p == 8}, {@code lo1}/{@code hi1} hold {@code [8, 16)}
     * and {@code [24, 32)}. Each lane sums {@code 32 / p ≤ 4} products, so callers guarantee {@code 4·|w|·127} fits.
     */
    static ShortVector nibbleProducts(ShortVector lo0, ShortVector hi0, ShortVector lo1, ShortVector hi1,
            short[] xq, int xb) {
        VectorSpecies<Short> ss = lo0.species();
        if (ss.length() == 16) {
            return lo0.mul(ShortVector.fromArray(ss, xq, xb)).add(hi0.mul(ShortVector.fromArray(ss, xq, xb + 16)));
        }
        return lo0.mul(ShortVector.fromArray(ss, xq, xb))
                .add(lo1.mul(ShortVector.fromArray(ss, xq, xb + 8)))
                .add(hi0.mul(ShortVector.fromArray(ss, xq, xb + 16)))
                .add(hi1.mul(ShortVector.fromArray(ss, xq, xb + 24)));
    }

    /** Converts int lanes to float lanes of the same width. */
    static jdk.incubator.vector.FloatVector toFloat(IntVector v) {
        return (jdk.incubator.vector.FloatVector) v.convert(VectorOperators.I2F, 0);
    }
}
