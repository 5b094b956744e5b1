package org.ristretto.cpu.kernel;

import org.ristretto.core.quant.GgmlType;

/**
 * Q4_1, Q5_0, Q5_1 and IQ4_NL in groups of rows, packed into {@link PackedQ8_0}'s layout as a byte per quant and
 * multiplied by its kernel, times Q8_0 activations.
 *
 * <p>Their blocks of 32 hold 4- or 5-bit quants {@code q} with an fp16 scale {@code d} and, for Q4_1 and Q5_1, an fp16
 * min {@code m}: a value is {@code d·(q − 16)} (Q5_0), {@code d·level(q)} (IQ4_NL, ggml's 16 non-linear levels
 * within ±127) or {@code d·q + m}. Spread to a byte each they are Q8_0 blocks, plus the min, which the kernel adds
 * per block as {@code m·Σx}: the same sums ggml forms (exact integer sums per block), from one kernel instead of
 * four. The copy is 34 or 36 bytes per row and block against the file's 18 (IQ4_NL), 20 (Q4_1), 22 (Q5_0) or 24
 * (Q5_1): 50–90% more memory, for decoding at Q8_0's speed where the file's layout needs its bits gathered (or
 * looked up) for every token. A matrix with an infinite or NaN scale or min stays unpacked.
 */
final class PackedAsQ8_0 extends PackedQ8_0 {
    /** ggml's {@code kvalues_iq4nl}. */
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private final int blockBytes;
    private final boolean mins;
    private final boolean fifthBit;

    private final boolean levels;

    /** A kernel for {@code type}: Q4_1, Q5_0, Q5_1 or IQ4_NL. */
    PackedAsQ8_0(GgmlType type, Lanes lanes) {
        super(type, lanes, type == GgmlType.Q4_1 || type == GgmlType.Q5_1);
        this.blockBytes = switch (type) {
            case IQ4_NL -> 18;
            case Q4_1 -> 20;
            case Q5_0 -> 22;
            case Q5_1 -> 24;
            default -> throw new IllegalArgumentException("no byte-per-quant packing for " + type);
        };
        this.mins = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        this.fifthBit = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
        this.levels = type == GgmlType.IQ4_NL;
    }

    @Override
    boolean packRows(byte[] in, int rowBytes, int cols, byte[] out) {
        int header = mins ? 4 : 2;
        int packedBlock = (header + BLOCK) * rows;
        int qh = header;
        int qs = fifthBit ? header + 4 : header;
        int offset = fifthBit && !mins ? 16 : 0;
        boolean finite = true;
        for (int b = 0; b < cols / BLOCK; b++) {
            int o = packedBlock * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + blockBytes * b;
                finite &= copyHalf(in, block, out, o + 2 * r);
                if (mins) {
                    finite &= copyHalf(in, block + 2, out, o + 2 * rows + 2 * r);
                }
                int high = fifthBit ? (in[block + qh] & 0xff) | (in[block + qh + 1] & 0xff) << 8
                        | (in[block + qh + 2] & 0xff) << 16 | (in[block + qh + 3] & 0xff) << 24 : 0;
                for (int c = 0; c < BLOCK; c++) {
                    int low = (in[block + qs + c % 16] & 0xff) >> 4 * (c / 16) & 0xf;
                    int q = levels ? LEVELS[low] : (low | (high >>> c & 1) << 4) - offset;
                    // Piece t holds quants 2t and 2t + 1 of each row, as PackedQ8_0 packs them.
                    out[o + header * rows + 2 * (rows * (c / 2) + r) + c % 2] = (byte) q;
                }
            }
        }
        return finite;
    }
}
