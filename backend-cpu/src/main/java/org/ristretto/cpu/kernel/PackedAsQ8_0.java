package org.ristretto.cpu.kernel;

import org.ristretto.core.quant.GgmlType;

/**
 * Q4_1, Q5_0 and Q5_1 in groups of rows, packed into {@link PackedQ8_0}'s layout as a byte per quant and multiplied
 * by its kernel, times Q8_0 activations.
 *
 * <p>Their blocks of 32 hold 4- or 5-bit quants {@code q} with an fp16 scale {@code d} and, for Q4_1 and Q5_1, an fp16
 * min {@code m}: a value is {@code d·(q − 16)} (Q5_0) or {@code d·q + m}. Spread to a byte each they are Q8_0 blocks,
 * plus the min, which the kernel adds per block as {@code m·Σx}: the same sums ggml forms (exact integer sums per
 * block), from one kernel instead of three. The copy is 34 or 36 bytes per row and block against the file's 20
 * (Q4_1), 22 (Q5_0) or 24 (Q5_1): 50–70% more memory, for decoding at Q8_0's speed where the file's layout needs its
 * bits gathered for every token. (IQ4_NL and IQ4_XS were packed this way too, until {@link PackedIQ4} kept their
 * codes as nibbles.) A matrix with an infinite or NaN scale or min stays unpacked.
 */
final class PackedAsQ8_0 extends PackedQ8_0 {
    private final int blockBytes;
    private final boolean fifthBit;

    /** A kernel for {@code type}: Q4_1, Q5_0 or Q5_1. */
    PackedAsQ8_0(GgmlType type, Lanes lanes) {
        super(type, lanes, type == GgmlType.Q4_1 || type == GgmlType.Q5_1);
        this.blockBytes = switch (type) {
            case Q4_1 -> 20;
            case Q5_0 -> 22;
            case Q5_1 -> 24;
            default -> throw new IllegalArgumentException("no byte-per-quant packing for " + type);
        };
        this.fifthBit = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int packedBlock = (header + BLOCK) * rows;
        int offset = fifthBit && !mins ? 16 : 0;
        boolean finite = true;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = packedBlock * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + blockBytes * b;
                int qs = (mins ? 4 : 2) + (fifthBit ? 4 : 0);
                if (mins) {
                    finite &= copyHalf(in, block + 2, out, o + 2 * rows + 2 * r);
                }
                finite &= copyHalf(in, block, out, o + 2 * r);
                int qh = block + qs - 4;
                int fifth = fifthBit ? (in[qh] & 0xff) | (in[qh + 1] & 0xff) << 8 | (in[qh + 2] & 0xff) << 16
                        | (in[qh + 3] & 0xff) << 24 : 0;
                for (int c = 0; c < BLOCK; c++) {
                    int nibble = (in[block + qs + c % 16] & 0xff) >> 4 * (c / 16) & 0xf;
                    int q = (nibble | (fifth >>> c & 1) << 4) - offset;
                    // Piece t holds quants 2t and 2t + 1 of each row, as PackedQ8_0 packs them.
                    out[o + header * rows + 2 * (rows * (c / 2) + r) + c % 2] = (byte) q;
                }
            }
        }
        return finite;
    }
}
