package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * The packed sub-block scales of the K-quants.
 *
 * <p>Q4_K and Q5_K keep eight 6-bit scales and eight 6-bit mins in 12 bytes (ggml's {@code get_scale_min_k4}): for
 * sub-block {@code j < 4} the scale is the low 6 bits of byte {@code j} and the min the low 6 bits of byte
 * {@code j + 4}; for {@code j >= 4} the low 4 bits come from the two nibbles of byte {@code j + 4} and the top 2 bits
 * from the top 2 bits of bytes {@code j - 4} (scale) and {@code j} (min).
 *
 * <p>Q3_K keeps sixteen 6-bit scales, biased by 32, in 12 bytes: the low nibble of scale {@code j} is the low
 * ({@code j < 8}) or high ({@code j >= 8}) nibble of byte {@code j % 8}, and its top 2 bits are bits
 * {@code 2 * (j / 4)} of byte {@code 8 + j % 4}.
 */
final class KScales {
    /** Bytes of packed scales in a Q3_K, Q4_K or Q5_K block. */
    static final int BYTES = 12;

    private KScales() {}

    /** The 6-bit scale of sub-block {@code j} (0..7) of a Q4_K/Q5_K block whose scales start at {@code at}. */
    static int scaleK4(MemorySegment s, long at, int j) {
        return j < 4
                ? BlockIo.u8(s, at + j) & 63
                : (BlockIo.u8(s, at + j + 4) & 0x0f) | (BlockIo.u8(s, at + j - 4) >>> 6) << 4;
    }

    /** The 6-bit min of sub-block {@code j} (0..7) of a Q4_K/Q5_K block whose scales start at {@code at}. */
    static int minK4(MemorySegment s, long at, int j) {
        return j < 4
                ? BlockIo.u8(s, at + j + 4) & 63
                : (BlockIo.u8(s, at + j + 4) >>> 4) | (BlockIo.u8(s, at + j) >>> 6) << 4;
    }

    /** Packs eight 6-bit scales and mins (each 0..63) into the 12 bytes at {@code at}. */
    static void packK4(int[] scales, int[] mins, MemorySegment s, long at) {
        int[] q = new int[BYTES];
        for (int j = 0; j < 8; j++) {
            int ls = scales[j];
            int lm = mins[j];
            if (j < 4) {
                q[j] = ls;
                q[j + 4] = lm;
            } else {
                q[j + 4] = (ls & 0x0f) | (lm & 0x0f) << 4;
                q[j - 4] |= (ls >>> 4) << 6;
                q[j] |= (lm >>> 4) << 6;
            }
        }
        write(q, s, at);
    }

    /** The signed scale (-32..31) of sub-block {@code j} (0..15) of a Q3_K block whose scales start at {@code at}. */
    static int scaleQ3(MemorySegment s, long at, int j) {
        int low = j < 8 ? BlockIo.u8(s, at + j) & 0x0f : BlockIo.u8(s, at + j - 8) >>> 4;
        int high = BlockIo.u8(s, at + 8 + j % 4) >>> (2 * (j / 4)) & 3;
        return (low | high << 4) - 32;
    }

    /** Packs sixteen biased 6-bit scales (each 0..63, i.e. scale + 32) into the 12 bytes at {@code at}. */
    static void packQ3(int[] biased, MemorySegment s, long at) {
        int[] q = new int[BYTES];
        for (int j = 0; j < 16; j++) {
            int l = biased[j];
            if (j < 8) {
                q[j] = l & 0x0f;
            } else {
                q[j - 8] |= (l & 0x0f) << 4;
            }
            q[8 + j % 4] |= (l >>> 4) << (2 * (j / 4));
        }
        write(q, s, at);
    }

    private static void write(int[] q, MemorySegment s, long at) {
        for (int i = 0; i < BYTES; i++) {
            BlockIo.put8(s, at + i, q[i]);
        }
    }
}
