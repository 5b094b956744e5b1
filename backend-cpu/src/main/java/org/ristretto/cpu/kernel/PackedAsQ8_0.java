package org.ristretto.cpu.kernel;

import org.ristretto.core.quant.GgmlType;

/**
 * Q4_1, Q5_0, Q5_1, IQ4_NL and IQ4_XS in groups of rows, packed into {@link PackedQ8_0}'s layout as a byte per quant
 * and multiplied by its kernel, times Q8_0 activations (IQ4_XS: Q8_K, as its file-layout kernel).
 *
 * <p>Their blocks of 32 hold 4- or 5-bit quants {@code q} with an fp16 scale {@code d} and, for Q4_1 and Q5_1, an fp16
 * min {@code m}: a value is {@code d·(q − 16)} (Q5_0), {@code d·level(q)} (IQ4_NL, ggml's 16 non-linear levels
 * within ±127) or {@code d·q + m}. Spread to a byte each they are Q8_0 blocks, plus the min, which the kernel adds
 * per block as {@code m·Σx}: the same sums ggml forms (exact integer sums per block), from one kernel instead of
 * four. The copy is 34 or 36 bytes per row and block against the file's 18 (IQ4_NL), 20 (Q4_1), 22 (Q5_0) or 24
 * (Q5_1): 50–90% more memory, for decoding at Q8_0's speed where the file's layout needs its bits gathered (or
 * looked up) for every token. IQ4_XS keeps its 6-bit sub-block scales (less 32) as a byte per row and 32 columns,
 * which multiplies each block's integer sum, and its {@code d} per block of 32: 35 bytes against 17. A matrix with
 * an infinite or NaN scale or min stays unpacked.
 */
final class PackedAsQ8_0 extends PackedQ8_0 {
    private final int blockBytes;
    private final boolean fifthBit;
    private final boolean levels;

    /** A kernel for {@code type}: Q4_1, Q5_0, Q5_1, IQ4_NL or IQ4_XS. */
    PackedAsQ8_0(GgmlType type, Lanes lanes) {
        super(type, lanes, type == GgmlType.Q4_1 || type == GgmlType.Q5_1, type == GgmlType.IQ4_XS);
        this.blockBytes = switch (type) {
            case IQ4_NL -> 18;
            case Q4_1 -> 20;
            case Q5_0 -> 22;
            case Q5_1 -> 24;
            case IQ4_XS -> 136;
            default -> throw new IllegalArgumentException("no byte-per-quant packing for " + type);
        };
        this.fifthBit = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
        this.levels = type == GgmlType.IQ4_NL || type == GgmlType.IQ4_XS;
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedBlock = (header + BLOCK) * rows;
        int offset = fifthBit && !mins ? 16 : 0;
        boolean finite = true;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = packedBlock * b;
            for (int r = 0; r < rows; r++) {
                int block;
                int qs;
                if (subScales) {
                    // IQ4_XS: d, 16 high scale bits, 4 bytes of low ones, then 16 quant bytes per sub-block of 32.
                    int sub = b % 8;
                    block = r * rowBytes + blockBytes * (b / 8);
                    int low = (in[block + 4 + sub / 2] & 0xff) >> 4 * (sub % 2) & 0xf;
                    int high = ((in[block + 2] & 0xff) | (in[block + 3] & 0xff) << 8) >> 2 * sub & 3;
                    out[o + 2 * rows + r] = (byte) ((low | high << 4) - 32);
                    qs = 8 + 16 * sub;
                } else {
                    block = r * rowBytes + blockBytes * b;
                    qs = (mins ? 4 : 2) + (fifthBit ? 4 : 0);
                    if (mins) {
                        finite &= copyHalf(in, block + 2, out, o + 2 * rows + 2 * r);
                    }
                }
                finite &= copyHalf(in, block, out, o + 2 * r);
                int qh = block + qs - 4;
                int fifth = fifthBit ? (in[qh] & 0xff) | (in[qh + 1] & 0xff) << 8 | (in[qh + 2] & 0xff) << 16
                        | (in[qh + 3] & 0xff) << 24 : 0;
                for (int c = 0; c < BLOCK; c++) {
                    int nibble = (in[block + qs + c % 16] & 0xff) >> 4 * (c / 16) & 0xf;
                    int q = levels ? IQ4Kernels.LEVELS[nibble] : (nibble | (fifth >>> c & 1) << 4) - offset;
                    // Piece t holds quants 2t and 2t + 1 of each row, as PackedQ8_0 packs them.
                    out[o + header * rows + 2 * (rows * (c / 2) + r) + c % 2] = (byte) q;
                }
            }
        }
        return finite;
    }
}
