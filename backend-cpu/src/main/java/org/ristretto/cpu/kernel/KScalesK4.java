package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 6-bit sub-block scales and mins that Q4_K and Q5_K pack into 12 bytes (ggml's {@code get_scale_min_k4}), and
 * the min term they contribute to a dot product.
 */
final class KScalesK4 {
    private KScalesK4() {}

    private static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    /** The scale of sub-block {@code j} (0..7) of the packed scales at byte {@code at}. */
    static int scale(MemorySegment w, long at, int j) {
        return j < 4 ? u8(w, at + j) & 63 : (u8(w, at + j + 4) & 0x0f) | (u8(w, at + j - 4) >>> 6) << 4;
    }

    /** The min of sub-block {@code j} (0..7) of the packed scales at byte {@code at}. */
    static int min(MemorySegment w, long at, int j) {
        return j < 4 ? u8(w, at + j + 4) & 63 : (u8(w, at + j + 4) >>> 4) | (u8(w, at + j) >>> 6) << 4;
    }

    /**
     * {@code Σ_j min_j · Σ_{i in sub-block j} q_x[i]} over the eight sub-blocks of 32, from the activations' sums of
     * 16 quants at {@code bsums[bs ...]}.
     */
    static int minTerm(MemorySegment w, long at, short[] bsums, int bs) {
        int s = 0;
        for (int j = 0; j < 8; j++) {
            s += min(w, at, j) * (bsums[bs + 2 * j] + bsums[bs + 2 * j + 1]);
        }
        return s;
    }
}
