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
 * IQ4_NL and IQ4_XS in groups of rows, their 4-bit codes kept as nibbles: {@link PackedQ8_0}'s layout and arithmetic
 * with half its bytes, the levels looked up in the kernel (one 16-bit permute per vector of codes).
 *
 * <p>A packed block of 32 columns is the group's scales: for IQ4_NL the file's fp16 (two bytes per row), for IQ4_XS
 * each row's {@code d} times its sub-block scale (the 6-bit scale less 32) as a float, exact; then eight pieces: piece
 * {@code t} holds, for each row in turn, two bytes whose low nibbles are the codes of columns {@code 2t, 2t+1} and
 * whose high nibbles are those of columns {@code 16+2t, 16+2t+1}. One load of a piece, widened to 16 bits, gives after
 * a lookup (or a shift and a lookup) into ggml's 16 levels the two {@link PackedQ8_0} pieces of those columns, already
 * in 16-bit lanes; they multiply the activation pairs {@code t} and {@code t+8} and are summed as that kernel sums them
 * (levels lie within ±127, so two products share a 16-bit half). Measured on the 2-core Zen 5: 31–32 GB/s of the file's
 * bytes with 2 threads, where memory gives 45–50, so this kernel is bound by its operations (looking the levels up in
 * byte lanes instead ran the same; shifting byte lanes, which x86 lacks, ran slower than a byte per quant). That is 18
 * bytes per row and block (IQ4_NL; 20 for IQ4_XS), where the file has 18 (IQ4_NL) and 17 (IQ4_XS) and a byte per quant
 * took 34–35: decoding reads half as much. Activations are Q8_0 (IQ4_NL) or Q8_K (IQ4_XS), as for the files' kernels. A
 * matrix with an infinite or NaN scale stays unpacked.
 */
final class PackedIQ4 extends PackedKernel {
    static final int BLOCK = 32;
    /**
     * ggml's 16 levels, repeated to fill the widest vector of shorts (32 lanes at 512 bits). {@code selectFrom} wraps
     * an index to the vector's length (16 or 32 lanes), and with the levels repeated a code byte {@code 16h + l}
     * then finds level {@code l}: the low nibble needs no mask (PackedMatMulTest fails when the table is not
     * repeated).
     */
    private static final short[] TABLE = new short[32];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            TABLE[i] = IQ4Kernels.LEVELS[i % 16];
        }
    }

    /**
     * Whether a packed block's scales are floats with the sub-block scale folded in (IQ4_XS): measured on a 2-core
     * Zen 4 against fp16 scales and a byte sub-block scale multiplied in the kernel, 1.06 (one thread, in the caches)
     * and 1.06–1.08 (two threads, from memory), for a copy 5% larger.
     */
    private final boolean subScales;
    /** Bytes per row in front of a block's pieces. */
    private final int header;

    /** A kernel for {@code type}: IQ4_NL or IQ4_XS. */
    PackedIQ4(GgmlType type, Lanes lanes) {
        super(type, type == GgmlType.IQ4_XS ? ActivationFormat.Q8_K : ActivationFormat.Q8_0, lanes,
                (headerBytes(type) + BLOCK / 2) * lanes.ints().length() * (type.blockSize() / BLOCK));
        if (type != GgmlType.IQ4_NL && type != GgmlType.IQ4_XS) {
            throw new IllegalArgumentException("no nibble packing for " + type);
        }
        this.subScales = type == GgmlType.IQ4_XS;
        this.header = headerBytes(type);
    }

    private static int headerBytes(GgmlType type) {
        return type == GgmlType.IQ4_XS ? 4 : 2;
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedBlock = (header + BLOCK / 2) * rows;
        boolean finite = true;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = packedBlock * b;
            for (int r = 0; r < rows; r++) {
                int block;
                int qs;
                if (subScales) {
                    // IQ4_XS: d, 16 high scale bits, 4 bytes of low ones, then 16 code bytes per sub-block of 32.
                    int sub = b % 8;
                    block = r * rowBytes + 136 * (b / 8);
                    int low = (in[block + 4 + sub / 2] & 0xff) >> 4 * (sub % 2) & 0xf;
                    int high = ((in[block + 2] & 0xff) | (in[block + 3] & 0xff) << 8) >> 2 * sub & 3;
                    // The row's scale times the sub-block's, as a float: exact (11 and 6 significant bits).
                    float d = half(in, block);
                    finite &= Float.isFinite(d);
                    putFloat(out, o + 4 * r, d * ((low | high << 4) - 32));
                    qs = 8 + 16 * sub;
                } else {
                    block = r * rowBytes + 18 * b;
                    qs = 2;
                    finite &= copyHalf(in, block, out, o + 2 * r);
                }
                // The file's code byte i holds columns i (low nibble) and 16 + i (high), as a piece's bytes do.
                for (int c = 0; c < BLOCK / 2; c++) {
                    out[o + header * rows + 2 * (rows * (c / 2) + r) + c % 2] = in[block + qs + c];
                }
            }
        }
        return finite;
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
        VectorSpecies<Short> hs = lanes.halfShorts();
        ShortVector table = ShortVector.fromArray(ss, TABLE, 0);
        int scales = header * is.length();
        int piece = 2 * is.length();
        int packed = (header + BLOCK / 2) * is.length();
        // Q8_K activations have one scale per 256 columns, eight of these blocks.
        int dxShift = subScales ? 3 : 0;
        int[] xp = x.pairs;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(fs);
        FloatVector acc2 = acc;
        IntVector s = IntVector.zero(is);
        IntVector s2 = s;
        IntVector high = s;
        IntVector high2 = s;
        // Half a block (four pieces, eight PackedQ8_0 pieces) per iteration, written out as PackedQ8_0's is.
        for (int h = 0; h < 2 * (cols / BLOCK); h++) {
            int b = h >> 1;
            long p = group + (long) packed * b;
            long p2 = group2 + (long) packed * b;
            long q = p + scales + 4 * piece * (h & 1);
            long q2 = p2 + scales + 4 * piece * (h & 1);
            int k = 16 * b + 4 * (h & 1);
            ShortVector v;
            ShortVector v2;
            ShortVector x0;
            ShortVector x1;
            IntVector a;
            IntVector c;
            v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + 0 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            v2 = (ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 0 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            x0 = IntVector.broadcast(is, xp[k + 0]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 0 + 8]).reinterpretAsShorts();
            a = v.selectFrom(table).mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            c = v2.selectFrom(table).mul(x0)
                    .add(v2.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + 1 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            v2 = (ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 1 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            x0 = IntVector.broadcast(is, xp[k + 1]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 1 + 8]).reinterpretAsShorts();
            a = v.selectFrom(table).mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            c = v2.selectFrom(table).mul(x0)
                    .add(v2.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + 2 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            v2 = (ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 2 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            x0 = IntVector.broadcast(is, xp[k + 2]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 2 + 8]).reinterpretAsShorts();
            a = v.selectFrom(table).mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            c = v2.selectFrom(table).mul(x0)
                    .add(v2.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            v = (ShortVector) ByteVector.fromMemorySegment(bs, w, q + 3 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            v2 = (ShortVector) ByteVector.fromMemorySegment(bs, w2, q2 + 3 * piece,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, ss, 0);
            x0 = IntVector.broadcast(is, xp[k + 3]).reinterpretAsShorts();
            x1 = IntVector.broadcast(is, xp[k + 3 + 8]).reinterpretAsShorts();
            a = v.selectFrom(table).mul(x0)
                    .add(v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            c = v2.selectFrom(table).mul(x0)
                    .add(v2.lanewise(VectorOperators.LSHR, 4).selectFrom(table).mul(x1)).reinterpretAsInts();
            s = a.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s);
            high = a.lanewise(VectorOperators.ASHR, 16).add(high);
            s2 = c.lanewise(VectorOperators.XOR, PackedQ8_0.LOW_BIAS).add(s2);
            high2 = c.lanewise(VectorOperators.ASHR, 16).add(high2);
            if ((h & 1) == 0) {
                continue;
            }
            // The exact sums, as in PackedQ8_0.
            s = s.sub(high.lanewise(VectorOperators.LSHL, 16)).add(high).sub(PackedQ8_0.BLOCK_BIAS);
            s2 = s2.sub(high2.lanewise(VectorOperators.LSHL, 16)).add(high2).sub(PackedQ8_0.BLOCK_BIAS);
            FloatVector d;
            FloatVector d2;
            if (subScales) {
                d = FloatVector.fromMemorySegment(fs, w, p, ByteOrder.LITTLE_ENDIAN);
                d2 = FloatVector.fromMemorySegment(fs, w2, p2, ByteOrder.LITTLE_ENDIAN);
            } else {
                // The scales, fp16 to float, as in PackedQ4_0.
                IntVector hw = (IntVector) ShortVector.fromMemorySegment(hs, w, p, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, is, 0);
                d = hw.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                        .reinterpretAsInts().or(hw.and(SIGN)).reinterpretAsFloats();
                IntVector hw2 = (IntVector) ShortVector.fromMemorySegment(hs, w2, p2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, is, 0);
                d2 = hw2.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_BIAS)
                        .reinterpretAsInts().or(hw2.and(SIGN)).reinterpretAsFloats();
            }
            FloatVector dx = FloatVector.broadcast(fs, xd[b >> dxShift]);
            acc = ((FloatVector) s.convertShape(VectorOperators.I2F, fs, 0)).mul(dx).fma(d, acc);
            acc2 = ((FloatVector) s2.convertShape(VectorOperators.I2F, fs, 0)).mul(dx).fma(d2, acc2);
            s = IntVector.zero(is);
            s2 = s;
            high = s;
            high2 = s;
        }
        acc.intoArray(out, o);
        acc2.intoArray(out2, o2);
    }
}
