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
 * Q5_K in groups of rows ({@link PackedKernel}), times Q8_K activations.
 *
 * <p>A packed block of 256 columns is the group's {@code d}, then its {@code dmin}, as floats, the sub-block scales
 * and then mins unpacked to one byte each (as {@link PackedQ4_K}), then 128 pieces: piece {@code t} is columns
 * {@code 2t} and {@code 2t+1} of each row, as in {@link PackedQ8_0}, each quant with its fifth bit put back and
 * stored as {@code q − 16}, a signed byte in {@code −16..15}. A product with an activation quant is then at most
 * {@code 16·127} in size, so a 16-bit lane half sums a sub-block's sixteen without overflow, and the offset comes
 * back once per sub-block from the activations' sums: {@code Σq·x = Σ(q − 16)·x + 16·Σx}. The fifth bits cost no
 * instructions this way, where the file's bit planes cost a shift, a mask and an add per value; the price is memory,
 * 280 bytes per row and block instead of 176.
 */
final class PackedQ5_K extends PackedKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 176;
    private static final int QH = 16;
    private static final int QS = 48;
    /** Packed bytes per row and block: {@code d} and {@code dmin} as floats, 8 scales, 8 mins, 256 quants. */
    private static final int PACKED_ROW = 8 + 8 + 8 + 256;

    PackedQ5_K(Lanes lanes) {
        super(GgmlType.Q5_K, ActivationFormat.Q8_K, lanes, PACKED_ROW * lanes.ints().length());
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedQuants = 24 * rows;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = PACKED_ROW * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + BYTES * b;
                putFloat(out, o + 4 * r, half(in, block));
                putFloat(out, o + 4 * rows + 4 * r, half(in, block + 2));
                packKScalesAndMins(in, block + 4, out, o + 8 * rows, r);
                // ggml's dequantize_row_q5_K: 64 columns per 32 quant bytes, low nibbles first; the fifth bit of
                // column 64g + l (+ 32) is bit 2g (2g + 1) of qh[l]. Eight columns at a time in a long, a byte each:
                // q − 16 is the nibble where the fifth bit is set and the nibble + 0xf0 where it is not (no carries
                // between bytes). Measured per byte, packing ran at 0.41–0.48 GB/s of copies in a cold start, 2 s of
                // a 1B Q5_K_M model's first prompt.
                for (int g = 0; g < 4; g++) {
                    for (int upper = 0; upper < 2; upper++) {
                        for (int l = 0; l < 32; l += 8) {
                            long nibbles = getLong(in, block + QS + 32 * g + l) >>> 4 * upper & 0x0f0f0f0f0f0f0f0fL;
                            long fifth = getLong(in, block + QH + l) >>> 2 * g + upper & 0x0101010101010101L;
                            long q = nibbles | (fifth ^ 0x0101010101010101L) * 0xf0;
                            int at = o + packedQuants + 2 * rows * ((64 * g + 32 * upper + l) / 2) + 2 * r;
                            for (int k = 0; k < 4; k++) {
                                putShort(out, at + 2 * rows * k, q >>> 16 * k);
                            }
                        }
                    }
                }
            }
        }
        return true; // the scales are converted to floats here, exactly
    }

    @Override
    void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x, float[] out,
            int o, float[] out2, int o2) {
        w = NativeSegments.of(w);
        w2 = NativeSegments.of(w2);
        VectorSpecies<Float> fs = lanes.floats();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Byte> bs = lanes.halfBytes();
        VectorSpecies<Byte> qb = lanes.quarterBytes();
        int n = is.length();
        int piece = 2 * n;
        int packedScales = 8 * n;
        int packedMins = packedScales + 8 * n;
        int packedQuants = packedMins + 8 * n;
        int packed = PACKED_ROW * n;
        int[] xp = x.pairs;
        float[] xd = x.d;
        short[] s32 = x.sums32;
        IntVector sixteen = IntVector.broadcast(is, 16);
        FloatVector zero = FloatVector.zero(fs);
        FloatVector acc = zero;
        FloatVector acc2 = zero;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            IntVector sum = IntVector.zero(is);
            IntVector sum2 = sum;
            IntVector mins = sum;
            IntVector mins2 = sum;
            for (int j = 0; j < 8; j++) {
                ShortVector s = ShortVector.zero(ss);
                ShortVector s2 = s;
                // A sub-block's sixteen pieces, eight per iteration, written out (as in PackedQ8_0).
                for (int h = 0; h < 2; h++) {
                    int k = 128 * b + 16 * j + 8 * h;
                    long q = p + packedQuants + (long) piece * (16 * j + 8 * h);
                    long q2 = p2 + packedQuants + (long) piece * (16 * j + 8 * h);
                    ShortVector xv = IntVector.broadcast(is, xp[k]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 2 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 2 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 3 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 3 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 4]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 4 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 4 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 5]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 5 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 5 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 6]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 6 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 6 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                    xv = IntVector.broadcast(is, xp[k + 7]).reinterpretAsShorts();
                    s = ((ShortVector) ByteVector.fromMemorySegment(bs, w, q + 7 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s);
                    s2 = ((ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 7 * piece, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, ss, 0)).mul(xv).add(s2);
                }
                // Each row's two halves widened and added, the offset of 16 put back through the sub-block's
                // activation sum, times the sub-block's scale; the mins times that sum.
                IntVector sx = IntVector.broadcast(is, s32[8 * b + j]);
                IntVector offset = IntVector.broadcast(is, 16 * s32[8 * b + j]);
                IntVector v = s.reinterpretAsInts();
                sum = v.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v.lanewise(VectorOperators.ASHR, sixteen)).add(offset)
                        .mul((IntVector) ByteVector.fromMemorySegment(qb, w, p + packedScales + n * j,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))
                        .add(sum);
                mins = ((IntVector) ByteVector.fromMemorySegment(qb, w, p + packedMins + n * j,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sx)
                        .add(mins);
                v = s2.reinterpretAsInts();
                sum2 = v.lanewise(VectorOperators.LSHL, sixteen).lanewise(VectorOperators.ASHR, sixteen)
                        .add(v.lanewise(VectorOperators.ASHR, sixteen)).add(offset)
                        .mul((IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedScales + n * j,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0))
                        .add(sum2);
                mins2 = ((IntVector) ByteVector.fromMemorySegment(qb, w2, p2 + packedMins + n * j,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, is, 0)).mul(sx)
                        .add(mins2);
            }
            FloatVector dx = FloatVector.broadcast(fs, xd[b]);
            FloatVector minusDx = FloatVector.broadcast(fs, -xd[b]);
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN).mul(dx), acc);
            acc = ((FloatVector) mins.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w, p + 4 * n, ByteOrder.LITTLE_ENDIAN).mul(minusDx), acc);
            acc2 = ((FloatVector) sum2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN).mul(dx), acc2);
            acc2 = ((FloatVector) mins2.convertShape(VectorOperators.I2F, fs, 0))
                    .fma(FloatVector.fromMemorySegment(fs, w2, p2 + 4 * n, ByteOrder.LITTLE_ENDIAN).mul(minusDx),
                            acc2);
        }
        // Stored through a fresh vector: the finished accumulators are operands only (IntDot).
        zero.add(acc).intoArray(out, o);
        zero.add(acc2).intoArray(out2, o2);
    }
}
