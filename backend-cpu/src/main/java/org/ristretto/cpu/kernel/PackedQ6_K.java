package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K in groups of eight rows, times Q8_K activations, with the 6-bit quants unpacked to bytes.
 *
 * <p>A packed block of 256 columns is the eight rows' {@code d} as floats (32 bytes), their 16 sub-block scales
 * (sub-block after sub-block, eight rows each: 128 bytes), then for each sub-block and each of its eight column
 * pairs the eight rows' two values {@code q − 32} as signed bytes (16 bytes). That is 276 bytes per row and block
 * instead of 210: the product reads 31% more, but a pair of columns for eight rows is then one sign-extending load,
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
    private static final int PACKED_SCALES = 32;
    private static final int PACKED_QUANTS = 32 + 16 * ROWS;
    private static final int PACKED = PACKED_QUANTS + BLOCK * ROWS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    ActivationFormat activation() {
        return ActivationFormat.Q8_K;
    }

    @Override
    long groupBytes(int cols) {
        return (long) PACKED * (cols / BLOCK);
    }

    @Override
    void pack(MemorySegment w, long src, long rowBytes, int cols, MemorySegment out, long dst) {
        byte[] block = new byte[BYTES];
        for (int b = 0; b < cols / BLOCK; b++) {
            long o = dst + (long) PACKED * b;
            for (int r = 0; r < ROWS; r++) {
                MemorySegment.copy(w, ValueLayout.JAVA_BYTE, src + r * rowBytes + (long) BYTES * b, block, 0, BYTES);
                out.set(F32, o + 4 * r, Float.float16ToFloat((short) ((block[D] & 0xff) | block[D + 1] << 8)));
                for (int j = 0; j < 16; j++) {
                    out.set(ValueLayout.JAVA_BYTE, o + PACKED_SCALES + ROWS * j + r, block[SCALES + j]);
                }
                for (int v = 0; v < BLOCK; v++) {
                    // Where ggml's layout keeps value v: see Q6_KKernels.
                    int h = v / 128;
                    int k = v % 128 / 32;
                    int l = v % 32;
                    int low = block[64 * h + 32 * (k % 2) + l] & 0xff;
                    int q = (k < 2 ? low & 15 : low >> 4) | (block[QH + 32 * h + l] >> 2 * k & 3) << 4;
                    out.set(ValueLayout.JAVA_BYTE, o + PACKED_QUANTS + 16 * (v / 2) + 2 * r + v % 2, (byte) (q - 32));
                }
            }
        }
    }

    @Override
    void pairs(Activations x) {
        for (int k = 0; k < x.cols / 2; k++) {
            x.pairs[k] = pair(x.q[2 * k], x.q[2 * k + 1]);
        }
    }

    @Override
    void dot8(MemorySegment w, long group, int cols, Activations x, float[] out, int o) {
        int[] xp = x.pairs;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = group + (long) PACKED * b;
            IntVector sum = IntVector.zero(I);
            for (int j = 0; j < 16; j++) {
                long q = p + PACKED_QUANTS + 128 * j;
                int k = 128 * b + 8 * j;
                // Eight products of at most 32·127 per 16-bit lane: they fit, their pairs' sums may not.
                ShortVector s = ((ShortVector) ByteVector.fromMemorySegment(B, w, q, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k]).reinterpretAsShorts());
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 16, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 1]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 32, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 2]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 48, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 3]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 64, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 4]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 80, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 5]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 96, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 6]).reinterpretAsShorts()));
                s = s.add(((ShortVector) ByteVector.fromMemorySegment(B, w, q + 112, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0))
                        .mul(IntVector.broadcast(I, xp[k + 7]).reinterpretAsShorts()));
                IntVector v = s.reinterpretAsInts();
                IntVector scale = (IntVector) ByteVector.fromMemorySegment(B8, w, p + PACKED_SCALES + ROWS * j,
                        ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                sum = sum.add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(v.lanewise(VectorOperators.ASHR, 16)).mul(scale));
            }
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromMemorySegment(F, w, p, ByteOrder.LITTLE_ENDIAN).mul(xd[b]), acc);
        }
        acc.intoArray(out, o);
    }
}
