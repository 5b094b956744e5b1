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
 * Q6_K in groups of rows ({@link PackedKernel}), times Q8_K activations, with the 6-bit quants unpacked to bytes.
 *
 * <p>A packed block of 256 columns is the group's {@code d} as floats, their 16 sub-block scales (sub-block after
 * sub-block, a byte per row each), then for each sub-block and each of its eight column pairs every row's two
 * values {@code q − 32} as signed bytes. That is 276 bytes per row and block instead of 210: the product reads 31%
 * more, but a pair of columns for the whole group is then one sign-extending load,
 * where unpacking six bits from the file's two planes costs five or six instructions per vector. Q6_K is mostly
 * the output matrix of 4-bit models, where this kernel turned it from the slowest part of a token into one that
 * streams at memory speed.
 */
final class PackedQ6_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    /** Packed bytes per row and block: {@code d} as a float, 16 scales, 256 quants as bytes. */
    private static final int PACKED_ROW = 4 + 16 + BLOCK;

    PackedQ6_K(Lanes lanes) {
        super(GgmlType.Q6_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedScales = 4 * rows;
        int packedQuants = packedScales + 16 * rows;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                putFloat(out, o + 4 * r, half(in, block + D));
                for (int j = 0; j < 16; j++) {
                    out[o + packedScales + rows * j + r] = in[block + SCALES + j];
                }
                // Value v = 128h + 32k + l sits where Q6_KKernels describes; it goes to pair v / 2, lane 2r + v % 2.
                int q = o + packedQuants + 2 * r;
                for (int h = 0; h < 2; h++) {
                    for (int k = 0; k < 4; k++) {
                        int low = block + 64 * h + 32 * (k & 1);
                        int high = block + QH + 32 * h;
                        int shift = k < 2 ? 0 : 4;
                        for (int l = 0; l < 32; l++) {
                            int v = 128 * h + 32 * k + l;
                            int six = (in[low + l] >> shift & 15) | (in[high + l] >> 2 * k & 3) << 4;
                            out[q + 2 * rows * (v >> 1) + (v & 1)] = (byte) (six - 32);
                        }
                    }
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    @Override
    void pairs(Activations x) {
        for (int k = 0; k < x.cols / 2; k++) {
            x.pairs[k] = pair(x.q[2 * k], x.q[2 * k + 1]);
        }
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> hb = lanes.halfBytes();
        VectorSpecies<Byte> qb = lanes.quarterBytes();
        int n = is.length();
        int packedScales = 4 * n;
        int packedQuants = packedScales + 16 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            IntVector sum = IntVector.zero(is);
            IntVector sum2 = sum;
            for (int j = 0; j < 16; j++) {
                long q = p + packedQuants + 16 * n * j;
                long q2 = p2 + packedQuants + 16 * n * j;
                int k = 128 * b + 8 * j;
                ShortVector s = ShortVector.zero(ss);
                ShortVector s2 = s;
                for (int m = 0; m < 8; m++) {
                    ShortVector xv = IntVector.broadcast(is, xp[k + m]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(hb, w, q + 2 * n * m, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(hb, w2, q2 + 2 * n * m,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                }
                IntVector v = s.reinterpretAsInts();
                sum = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w,
                        p + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, is, 0)).add(sum);
                v = s2.reinterpretAsInts();
                sum2 = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16)).mul((IntVector) ByteVector.fromMemorySegment(qb, w2,
                        p2 + packedScales + n * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, is, 0)).add(sum2);
            }
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(xd[b]), acc);
            acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(xd[b]), acc2);
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
