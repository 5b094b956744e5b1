package org.ristretto.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;

/** Random weight matrices in ggml block layout for the kernel benchmarks. */
final class BenchWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BenchWeights() {}

    /**
     * {@code rows × cols} of {@code type}: random bytes with small finite fp16 values where the format has fp16
     * fields (scales, or every element for F16/BF16/F32), so no NaN or infinity slows the float units.
     */
    static MemorySegment matrix(Arena arena, GgmlType type, int rows, int cols, long seed) {
        long bytes = type.byteSize(cols) * rows;
        MemorySegment seg = arena.allocate(bytes, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= bytes; i += 8) {
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        }
        int[] halves = switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        short small = Fp16.fromFloat(0.01f);
        if (type == GgmlType.F16 || type == GgmlType.BF16) {
            short v = type == GgmlType.F16 ? small : (short) (Float.floatToRawIntBits(0.01f) >>> 16);
            for (long i = 0; i < bytes; i += 2) {
                seg.set(I16, i, v);
            }
        } else if (type == GgmlType.F32) {
            for (long i = 0; i < bytes; i += 4) {
                seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) rnd.nextDouble(-1, 1));
            }
        }
        for (long b = 0; halves.length > 0 && b < bytes / type.typeSize(); b++) {
            for (int h : halves) {
                seg.set(I16, b * type.typeSize() + h, small);
            }
        }
        return seg;
    }
}
