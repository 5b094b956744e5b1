package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;

/**
 * Q4_K in groups of eight rows, times Q8_K activations.
 *
 * <p>A packed block of 256 columns is the eight rows' {@code d} and {@code dmin} as floats (64 bytes), their
 * sub-block scales and mins unpacked from 6 bits to one byte each (sub-block after sub-block, eight rows each: 128
 * bytes), then 32 pieces of 32 bytes: piece {@code t} is bytes {@code 4t..4t+3} of each row's 128 quant bytes, as
 * in {@link PackedQ4_0}. In the file's layout byte {@code i} of the quants holds column {@code 64⌊i/32⌋ + i % 32}
 * in its low nibble and that plus 32 in its high one, so nibbles 0 and 2 of a lane's 16-bit halves belong to the
 * even sub-block of their 64 columns and nibbles 1 and 3 to the odd one; each sub-block sums its products in 16-bit
 * lanes (at most sixteen of {@code 15·127}), widens them once, and multiplies by its scale in 32 bits. That is 152
 * bytes per row and block instead of 144.
 */
final class PackedQ4_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int PACKED_SCALES = 64;
    private static final int PACKED_MINS = PACKED_SCALES + 8 * ROWS;
    private static final int PACKED_QUANTS = PACKED_MINS + 8 * ROWS;
    private static final int PACKED = PACKED_QUANTS + 128 * ROWS;
    private static final int NIBBLES = 0x000f000f;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /** Column of nibble {@code n} in the lower half of a lane of piece 0. */
    private static final int[] COLUMN = {0, 32, 1, 33};

    PackedQ4_K() {
        super(GgmlType.Q4_K, ActivationFormat.Q8_K, PACKED);
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED * b;
            for (int r = 0; r < ROWS; r++) {
                int block = r * rowBytes + BYTES * b;
                putFloat(out, o + 4 * r, half(in, block));
                putFloat(out, o + 32 + 4 * r, half(in, block + 2));
                int sm = block + SCALES;
                for (int j = 0; j < 8; j++) {
                    // ggml's get_scale_min_k4
                    int sc = j < 4 ? in[sm + j] & 63 : (in[sm + j + 4] & 0xf) | (in[sm + j - 4] & 0xff) >> 6 << 4;
                    int m = j < 4 ? in[sm + j + 4] & 63 : (in[sm + j + 4] & 0xff) >> 4 | (in[sm + j] & 0xff) >> 6 << 4;
                    out[o + PACKED_SCALES + ROWS * j + r] = (byte) sc;
                    out[o + PACKED_MINS + ROWS * j + r] = (byte) m;
                }
                for (int t = 0; t < 32; t++) {
                    copy4(in, block + QS + 4 * t, out, o + PACKED_QUANTS + 32 * t + 4 * r);
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    @Override
    void pairs(Activations x) {
        for (int b = 0; b < x.cols / BLOCK; b++) {
            for (int t = 0; t < 32; t++) {
                for (int n = 0; n < 4; n++) {
                    int c = BLOCK * b + 64 * (t / 8) + 4 * (t % 8) + COLUMN[n];
                    x.pairs[128 * b + 4 * t + n] = pair(x.q[c], x.q[c + 2]);
                }
            }
        }
    }

    @Override
    void dot16(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] s32 = x.sums32;
        FloatVector acc = FloatVector.zero(F);
        FloatVector acc2 = acc;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) PACKED * b;
            long p2 = group2 + (long) PACKED * b;
            IntVector sum = IntVector.zero(I);
            IntVector sum2 = sum;
            IntVector mins = sum;
            IntVector mins2 = sum;
            for (int c = 0; c < 4; c++) {
                long q = p + PACKED_QUANTS + 256 * c;
                long q2 = p2 + PACKED_QUANTS + 256 * c;
                int k = 128 * b + 32 * c;
                ShortVector even = ShortVector.zero(S);
                ShortVector odd = even;
                ShortVector even2 = even;
                ShortVector odd2 = even;
                for (int m = 0; m < 8; m++) {
                    IntVector v = IntVector.fromMemorySegment(I, w, q + 32 * m, ByteOrder.LITTLE_ENDIAN);
                    IntVector u = IntVector.fromMemorySegment(I, w2, q2 + 32 * m, ByteOrder.LITTLE_ENDIAN);
                    int km = k + 4 * m;
                    ShortVector x0 = IntVector.broadcast(I, xp[km]).reinterpretAsShorts();
                    ShortVector x1 = IntVector.broadcast(I, xp[km + 1]).reinterpretAsShorts();
                    ShortVector x2 = IntVector.broadcast(I, xp[km + 2]).reinterpretAsShorts();
                    ShortVector x3 = IntVector.broadcast(I, xp[km + 3]).reinterpretAsShorts();
                    even = even.add(v.and(NIBBLES).reinterpretAsShorts().mul(x0))
                            .add(v.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2));
                    odd = odd.add(v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1))
                            .add(v.lanewise(VectorOperators.LSHR, 12).and(NIBBLES).reinterpretAsShorts().mul(x3));
                    even2 = even2.add(u.and(NIBBLES).reinterpretAsShorts().mul(x0))
                            .add(u.lanewise(VectorOperators.LSHR, 8).and(NIBBLES).reinterpretAsShorts().mul(x2));
                    odd2 = odd2.add(u.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).reinterpretAsShorts().mul(x1))
                            .add(u.lanewise(VectorOperators.LSHR, 12).and(NIBBLES).reinterpretAsShorts().mul(x3));
                }
                short sumA = s32[8 * b + 2 * c];
                short sumB = s32[8 * b + 2 * c + 1];
                IntVector e = even.reinterpretAsInts();
                IntVector d = odd.reinterpretAsInts();
                sum = sum.add(e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(B8, w,
                        p + PACKED_SCALES + 16 * c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                        .add(d.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(d.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(B8, w,
                        p + PACKED_SCALES + 16 * c + 8, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                mins = mins.add(((IntVector) ByteVector.fromMemorySegment(B8, w, p + PACKED_MINS + 16 * c,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(sumA))
                        .add(((IntVector) ByteVector.fromMemorySegment(B8, w, p + PACKED_MINS + 16 * c + 8,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(sumB));
                e = even2.reinterpretAsInts();
                d = odd2.reinterpretAsInts();
                sum2 = sum2.add(e.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(e.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(B8, w2,
                        p2 + PACKED_SCALES + 16 * c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                        .add(d.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(d.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(B8, w2,
                        p2 + PACKED_SCALES + 16 * c + 8, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                mins2 = mins2.add(((IntVector) ByteVector.fromMemorySegment(B8, w2, p2 + PACKED_MINS + 16 * c,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(sumA))
                        .add(((IntVector) ByteVector.fromMemorySegment(B8, w2, p2 + PACKED_MINS + 16 * c + 8,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(sumB));
            }
            float dx = xd[b];
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.fromMemorySegment(F, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
            acc = ((FloatVector) mins.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.fromMemorySegment(F, w, p + 32, ByteOrder.LITTLE_ENDIAN).mul(-dx), acc);
            acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.fromMemorySegment(F, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
            acc2 = ((FloatVector) mins2.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.fromMemorySegment(F, w2, p2 + 32, ByteOrder.LITTLE_ENDIAN).mul(-dx), acc2);
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
