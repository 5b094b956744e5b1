package org.ristretto.cpu.kernel;

import static org.ristretto.cpu.kernel.IntDot.half;
import static org.ristretto.cpu.kernel.IntDot.pairSumNarrow;
import static org.ristretto.cpu.kernel.IntDot.toFloat;
import static org.ristretto.cpu.kernel.IntDot.unsignedBytes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights times Q8_K activations. A block holds 256 values: {@code u8 ql[128]; u8 qh[64]; i8 scales[16];
 * half d}, sixteen sub-blocks of 16 with an 8-bit signed scale; value {@code d·sc_j·(q − 32)} with {@code q} a 6-bit
 * number whose low 4 bits come from {@code ql} and top 2 from {@code qh}.
 *
 * <p>Each half of 128 values uses 64 bytes of {@code ql} and 32 of {@code qh}: value {@code 32k + l} of the half
 * (k = 0..3, l = 0..31) takes the low ({@code k < 2}) or high nibble of {@code ql[l + 32·(k % 2)]} and bits
 * {@code 2k, 2k+1} of {@code qh[l]}. Products are at most {@code 32·127}, two per 16-bit lane at most.
 */
final class Q6_KKernels extends QuantKernel {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KKernels(Lanes lanes) {
        super(lanes);
    }

    @Override
    public ActivationFormat activation() {
        return ActivationFormat.Q8_K;
    }

    /** Piece {@code l} (of {@code p} lanes) of quarter {@code k} of the half whose ql/qh start at the offsets. */
    private ShortVector values(MemorySegment w, long ql, long qh, int k, int l) {
        VectorSpecies<Short> ss = lanes.pieceShorts();
        ShortVector low = unsignedBytes(lanes.pieceBytes(), ss, w, ql + 32 * (k % 2) + l);
        low = k < 2 ? low.and((short) 0x0f) : low.lanewise(VectorOperators.LSHR, 4);
        ShortVector high = unsignedBytes(lanes.pieceBytes(), ss, w, qh + l);
        // Bits 2k and 2k+1 of qh move to bits 4 and 5.
        high = (k < 3 ? high.lanewise(VectorOperators.LSHL, 4 - 2 * k) : high.lanewise(VectorOperators.LSHR, 2))
                .and((short) 0x30);
        return low.or(high).sub((short) 32);
    }

    private static int scale(MemorySegment w, long o, int j) {
        return w.get(ValueLayout.JAVA_BYTE, o + SCALES + j);
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, Activations x, int xo) {
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        int p = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector acc0 = FloatVector.zero(fs);
        FloatVector acc1 = acc0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float d = half(w, o + D) * xd[db + b];
            int xb = xo + BLOCK * b;
            for (int h = 0; h < 2; h++) {
                long ql = o + 64 * h;
                long qh = o + QH + 32 * h;
                for (int k = 0; k < 4; k++) {
                    int xk = xb + 128 * h + 32 * k;
                    // Two sub-blocks of 16: values [0, 16) and [16, 32) of this quarter.
                    ShortVector s0 = ShortVector.zero(ss);
                    ShortVector s1 = s0;
                    for (int l = 0; l < 16; l += p) {
                        s0 = s0.add(values(w, ql, qh, k, l).mul(ShortVector.fromArray(ss, xq, xk + l)));
                        s1 = s1.add(values(w, ql, qh, k, 16 + l).mul(ShortVector.fromArray(ss, xq, xk + 16 + l)));
                    }
                    int j = 8 * h + 2 * k;
                    acc0 = toFloat(pairSumNarrow(s0)).fma(FloatVector.broadcast(fs, d * scale(w, o, j)), acc0);
                    acc1 = toFloat(pairSumNarrow(s1)).fma(FloatVector.broadcast(fs, d * scale(w, o, j + 1)), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, Activations x, int xo, float[] res) {
        VectorSpecies<Float> fs = lanes.pieceFloats();
        VectorSpecies<Short> ss = lanes.pieceShorts();
        int p = ss.length();
        short[] xq = x.q;
        float[] xd = x.d;
        int nb = cols / BLOCK;
        int db = xo / BLOCK;
        FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = row + (long) BYTES * b;
            float d = half(w, o + D);
            float dx0 = xd[db + b], dx1 = xd[db + nb + b], dx2 = xd[db + 2 * nb + b], dx3 = xd[db + 3 * nb + b];
            int xb = xo + BLOCK * b;
            for (int j = 0; j < 16; j++) {
                // Sub-block j: half j / 8, quarter (j / 2) % 4, values 16·(j % 2) onwards of that quarter.
                int h = j / 8;
                int k = j / 2 % 4;
                int l0 = 16 * (j % 2);
                int xj = xb + 16 * j;
                ShortVector s0 = ShortVector.zero(ss), s1 = s0, s2 = s0, s3 = s0;
                for (int l = 0; l < 16; l += p) {
                    ShortVector v = values(w, o + 64 * h, o + QH + 32 * h, k, l0 + l);
                    s0 = s0.add(v.mul(ShortVector.fromArray(ss, xq, xj + l)));
                    s1 = s1.add(v.mul(ShortVector.fromArray(ss, xq, xj + cols + l)));
                    s2 = s2.add(v.mul(ShortVector.fromArray(ss, xq, xj + 2 * cols + l)));
                    s3 = s3.add(v.mul(ShortVector.fromArray(ss, xq, xj + 3 * cols + l)));
                }
                float sc = d * scale(w, o, j);
                a0 = toFloat(pairSumNarrow(s0)).fma(FloatVector.broadcast(fs, sc * dx0), a0);
                a1 = toFloat(pairSumNarrow(s1)).fma(FloatVector.broadcast(fs, sc * dx1), a1);
                a2 = toFloat(pairSumNarrow(s2)).fma(FloatVector.broadcast(fs, sc * dx2), a2);
                a3 = toFloat(pairSumNarrow(s3)).fma(FloatVector.broadcast(fs, sc * dx3), a3);
            }
        }
        res[0] = a0.reduceLanes(VectorOperators.ADD);
        res[1] = a1.reduceLanes(VectorOperators.ADD);
        res[2] = a2.reduceLanes(VectorOperators.ADD);
        res[3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
