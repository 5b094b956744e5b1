package org.ristretto.cpu.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;

/**
 * Random weight matrices for kernel tests, and the plain reference product.
 *
 * <p>Quantized blocks are random bytes (every quant bit pattern and every packed sub-block scale is reachable), with
 * only the fp16 super-scales overwritten by finite values of a realistic size. The reference dequantizes with the
 * scalar {@code QuantFormats} and accumulates in double.
 */
final class Weights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Weights() {}

    /** Byte offsets of the fp16 scale fields inside one block of {@code type}. */
    static int[] halfScaleOffsets(GgmlType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /**
     * A {@code rows × cols} matrix of {@code type} at byte {@code offset} of a fresh segment with a few bytes of
     * slack on both sides (so unaligned offsets are exercised).
     */
    static MemorySegment random(Arena arena, GgmlType type, int rows, int cols, long offset, SplittableRandom rnd) {
        long bytes = type.byteSize(cols) * rows;
        MemorySegment seg = arena.allocate(offset + bytes + 64, 1);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    seg.set(F32, offset + 4 * i, (float) rnd.nextDouble(-1, 1));
                }
            }
            case F16 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    seg.set(I16, offset + 2 * i, Fp16.fromFloat((float) rnd.nextDouble(-1, 1)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    seg.set(I16, offset + 2 * i,
                            (short) (Float.floatToRawIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
                }
            }
            default -> {
                for (long i = 0; i < bytes; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, offset + i, (byte) rnd.nextInt());
                }
                int[] scales = halfScaleOffsets(type);
                for (long b = 0; b < bytes / type.typeSize(); b++) {
                    for (int s : scales) {
                        float v = (float) (rnd.nextDouble(0.5, 1) * Math.pow(2, -rnd.nextInt(4, 9))
                                * (rnd.nextBoolean() ? 1 : -1));
                        seg.set(I16, offset + b * type.typeSize() + s, Fp16.fromFloat(v));
                    }
                }
            }
        }
        return seg;
    }

    /** The matrix dequantized by the scalar reference, row-major. */
    static float[] dequantize(GgmlType type, MemorySegment w, long offset, int rows, int cols) {
        float[] all = new float[rows * cols];
        QuantFormats.of(type).dequantize(w, offset, all, 0, rows * cols);
        return all;
    }

    /** {@code out[t][r] = Σ_c deq[r][c] · x[t][c]}, accumulated in double. */
    static double[] referenceProduct(float[] deq, int rows, int cols, float[] x, int xOffset, int nTokens) {
        double[] out = new double[rows * nTokens];
        for (int t = 0; t < nTokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += (double) deq[r * cols + c] * x[xOffset + t * cols + c];
                }
                out[t * rows + r] = s;
            }
        }
        return out;
    }
}
