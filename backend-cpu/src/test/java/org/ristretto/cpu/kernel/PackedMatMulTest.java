package org.ristretto.cpu.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.parallel.WorkerPool;

/** The packed matrix×vector kernels against the scalar reference, on whole groups, partial groups and tails. */
class PackedMatMulTest {
    /** The types with a packed kernel. */
    static final GgmlType[] TYPES = {GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
            GgmlType.IQ4_XS};
    static final int[] THREADS = {1, 2, 7};
    /**
     * rows, blocks per row: one group (8 rows at 256 bits, 16 at 512), a group and a row, many groups with a tail,
     * one block, several blocks; at 512 bits, 8 and 9 rows are less than a group and stay unpacked.
     */
    static final int[][] PROBLEMS = {{8, 1}, {9, 2}, {16, 3}, {17, 2}, {157, 2}, {71, 5}, {64, 1}, {40, 1}};

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (VectorShape shape : new VectorShape[] {VectorShape.S_256_BIT, VectorShape.S_512_BIT}) {
                for (int threads : THREADS) {
                    for (boolean exact : new boolean[] {false, true}) {
                        all.add(Arguments.of(type, shape, threads, exact));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} threads={2} exact={3}")
    @MethodSource("cases")
    void packedProductMatchesReference(GgmlType type, VectorShape shape, int threads, boolean exact) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal() * 31L + threads + (exact ? 1000 : 0));
        try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            ActivationFormat format = mm.activationOf(type);
            for (int[] p : PROBLEMS) {
                int rows = p[0];
                int cols = p[1] * type.blockSize();
                long wOff = 3;
                MemorySegment w = Weights.random(arena, type, rows, cols, wOff, rnd);
                MemorySegment up = Weights.random(arena, type, rows, cols, 1, rnd);
                float[] deq = Weights.dequantize(type, w, wOff, rows, cols);
                float[] deqUp = Weights.dequantize(type, up, 1, rows, cols);
                PackedMatrix pw = mm.pack(type, w, wOff, rows, cols, arena);
                PackedMatrix pu = mm.pack(type, up, 1, rows, cols, arena);
                if (rows < shape.vectorBitSize() / 32) {
                    assertNull(pw, rows + " rows are less than a group at " + shape);
                    continue;
                }
                assertNotNull(pw, type + " has a packed kernel");
                int xOff = 5;
                float[] x = exact ? MatMulTest.exactActivations(xOff, cols, rnd)
                        : MatMulTest.randomActivations(xOff + cols, rnd);
                double[] e = exact ? new double[cols] : Tolerance.activationError(format, x, xOff, cols, 1);
                double[] ref = Weights.referenceProduct(deq, rows, cols, x, xOff, 1);
                double[] refUp = Weights.referenceProduct(deqUp, rows, cols, x, xOff, 1);
                String where = type + " " + shape + " threads=" + threads + " " + rows + "x" + cols;
                float[] out = new float[rows + 3];
                mm.multiply(pw, x, xOff, 1, out, 2);
                for (int r = 0; r < rows; r++) {
                    compare(where, r, ref[r], out[2 + r], Tolerance.bound(deq, r, cols, x, xOff, 0, e));
                }
                if (out[0] != 0 || out[1] != 0 || out[rows + 2] != 0) {
                    fail(where + ": wrote outside its output range");
                }
                mm.multiplySwiGlu(pw, pu, x, xOff, 1, out, 1);
                for (int r = 0; r < rows; r++) {
                    double dg = Tolerance.bound(deq, r, cols, x, xOff, 0, e);
                    double du = Tolerance.bound(deqUp, r, cols, x, xOff, 0, e);
                    double g = ref[r];
                    compare(where + " swiglu", r, g / (1 + Math.exp(-g)) * refUp[r], out[1 + r],
                            Tolerance.swiGlu(g, dg, refUp[r], du));
                }
                assertManyAreEachOnItsOwn(mm, type, pw, pu, x, xOff, arena, rnd, where);
            }
        }
    }

    /**
     * {@link MatMul#multiplyMany} of three matrices of different heights against one input, written at offsets:
     * each matrix's own product. Rows past the last whole group of a matrix go through a row kernel whose float
     * sum ({@code reduceLanes(ADD)}) the JIT may order differently from the interpreter, so two calls agree only to
     * rounding while that kernel is being compiled: {@link #assertSameProduct} allows that, and no more.
     */
    private static void assertManyAreEachOnItsOwn(MatMul mm, GgmlType type, PackedMatrix a, PackedMatrix b, float[] x,
            int xOff, Arena arena, SplittableRandom rnd, String where) {
        int rows3 = 2 * a.rows + 3;
        MemorySegment w3 = Weights.random(arena, type, rows3, a.cols, 0, rnd);
        PackedMatrix c = mm.pack(type, w3, 0, rows3, a.cols, arena);
        PackedMatrix[] ms = {a, c, b};
        float[][] outs = new float[ms.length][];
        int[] offsets = {1, 0, 4};
        for (int i = 0; i < ms.length; i++) {
            outs[i] = new float[offsets[i] + ms[i].rows + 2];
        }
        mm.multiplyMany(ms, 0, ms.length, x, xOff, 1, outs, offsets);
        for (int i = 0; i < ms.length; i++) {
            float[] alone = new float[outs[i].length];
            mm.multiply(ms[i], x, xOff, 1, alone, offsets[i]);
            assertSameProduct(alone, outs[i], where + " many, matrix " + i + " of " + ms[i].rows + " rows");
        }
        // A range of the arrays: the matrices before it are left alone.
        float[][] tail = new float[ms.length][];
        for (int i = 0; i < ms.length; i++) {
            tail[i] = new float[outs[i].length];
        }
        mm.multiplyMany(ms, 1, ms.length, x, xOff, 1, tail, offsets);
        assertArrayEquals(new float[outs[0].length], tail[0], where + " many from 1, matrix 0 untouched");
        for (int i = 1; i < ms.length; i++) {
            assertSameProduct(outs[i], tail[i], where + " many from 1, matrix " + i);
        }
    }

    /**
     * The same product computed twice: equal up to the rounding of a float sum taken in another order (a relative
     * 1e-4, or 1e-4 absolute for values under 1), where another row's value or a row left unwritten differs by far
     * more.
     */
    private static void assertSameProduct(float[] expected, float[] actual, String where) {
        assertEquals(expected.length, actual.length, where + ": length");
        for (int j = 0; j < expected.length; j++) {
            float tolerance = 1e-4f * Math.max(1, Math.abs(expected[j]));
            assertEquals(expected[j], actual[j], tolerance, where + ": index " + j);
        }
    }

    static Stream<Arguments> typesAndWidths() {
        List<Arguments> all = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (VectorShape shape : new VectorShape[] {VectorShape.S_256_BIT, VectorShape.S_512_BIT}) {
                all.add(Arguments.of(type, shape));
            }
        }
        return all.stream();
    }

    /**
     * A product of several tokens (each group multiplied with every token in turn, in one pool operation) is each
     * token's one-token product, in its place, for a single matrix, a SwiGLU pair and several matrices at once: with
     * 2, 5 and {@link MatMul#packedMaxTokens} tokens, many groups and a tail of rows, 1 and 3 threads.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndWidths")
    void severalTokensAreEachTheirOneTokenProduct(GgmlType type, VectorShape shape) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal() * 7L + shape.vectorBitSize());
        for (int threads : new int[] {1, 3}) {
            try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
                MatMul mm = new MatMul(pool, shape);
                int rows = 5 * shape.vectorBitSize() / 32 + 3;
                int cols = 2 * type.blockSize();
                PackedMatrix a = mm.pack(type, Weights.random(arena, type, rows, cols, 0, rnd), 0, rows, cols, arena);
                PackedMatrix b = mm.pack(type, Weights.random(arena, type, rows, cols, 0, rnd), 0, rows, cols, arena);
                int rowsC = shape.vectorBitSize() / 32;
                PackedMatrix c = mm.pack(type, Weights.random(arena, type, rowsC, cols, 0, rnd), 0, rowsC, cols,
                        arena);
                for (int n : new int[] {2, 5, MatMul.packedMaxTokens(type)}) {
                    String where = type + " " + shape + " threads=" + threads + " tokens=" + n;
                    int xOff = 3;
                    float[] x = MatMulTest.randomActivations(xOff + n * cols, rnd);
                    float[] single = new float[n * rows];
                    float[] singleUp = new float[n * rows];
                    float[] singleC = new float[n * rowsC];
                    float[] singleSwiGlu = new float[n * rows];
                    for (int t = 0; t < n; t++) {
                        mm.multiply(a, x, xOff + t * cols, 1, single, t * rows);
                        mm.multiply(b, x, xOff + t * cols, 1, singleUp, t * rows);
                        mm.multiply(c, x, xOff + t * cols, 1, singleC, t * rowsC);
                        mm.multiplySwiGlu(a, b, x, xOff + t * cols, 1, singleSwiGlu, t * rows);
                    }
                    float[] out = new float[n * rows + 2];
                    mm.multiply(a, x, xOff, n, out, 2);
                    assertSameProduct(single, Arrays.copyOfRange(out, 2, out.length), where + " multiply");
                    mm.multiplySwiGlu(a, b, x, xOff, n, out, 1);
                    assertSameProduct(singleSwiGlu, Arrays.copyOfRange(out, 1, out.length - 1), where + " swiglu");
                    float[][] outs = {new float[1 + n * rows], new float[n * rowsC], new float[4 + n * rows]};
                    mm.multiplyMany(new PackedMatrix[] {a, c, b}, 0, 3, x, xOff, n, outs, new int[] {1, 0, 4});
                    assertSameProduct(single, Arrays.copyOfRange(outs[0], 1, outs[0].length), where + " many a");
                    assertSameProduct(singleC, outs[1], where + " many c");
                    assertSameProduct(singleUp, Arrays.copyOfRange(outs[2], 4, outs[2].length), where + " many b");
                }
            }
        }
    }

    /**
     * Products of up to {@link MatMul#PACKED_MAX_TOKENS} tokens are the packed one-token products, token by token;
     * longer batches read the original blocks and give what the unpacked matrix gives (to rounding: the 19 rows
     * leave tail rows, see {@link #assertSameProduct}).
     */
    @Test
    void fewTokensRunPackedAndLongBatchesUseTheOriginal() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            int rows = 19;
            int cols = 64;
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, rows, cols, 0, rnd);
            PackedMatrix packed = mm.pack(GgmlType.Q4_0, w, 0, rows, cols, arena);
            int few = 3;
            float[] x = MatMulTest.randomActivations(few * cols, rnd);
            float[] expected = new float[few * rows];
            float[] actual = new float[few * rows];
            for (int t = 0; t < few; t++) {
                mm.multiply(packed, x, t * cols, 1, expected, t * rows);
            }
            mm.multiply(packed, x, 0, few, actual, 0);
            assertSameProduct(expected, actual, "a few tokens, packed");

            int many = MatMul.PACKED_MAX_TOKENS + 1;
            x = MatMulTest.randomActivations(many * cols, rnd);
            expected = new float[many * rows];
            actual = new float[many * rows];
            mm.multiply(GgmlType.Q4_0, w, 0, rows, cols, x, 0, many, expected, 0);
            mm.multiply(packed, x, 0, many, actual, 0);
            assertSameProduct(expected, actual, "a longer batch, from the original blocks");
        }
    }

    @Test
    void nothingIsPackedBelowAGroupOrAt128Bits() {
        SplittableRandom rnd = new SplittableRandom(4);
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MemorySegment w = Weights.random(arena, GgmlType.Q4_0, 8, 32, 0, rnd);
            assertNull(new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.Q4_0, w, 0, 7, 32, arena));
            assertNull(new MatMul(pool, VectorShape.S_512_BIT).pack(GgmlType.Q4_0, w, 0, 8, 32, arena));
            assertNull(new MatMul(pool, VectorShape.S_128_BIT).pack(GgmlType.Q4_0, w, 0, 8, 32, arena));
            MemorySegment halves = Weights.random(arena, GgmlType.F16, 8, 32, 0, rnd);
            assertNull(new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.F16, halves, 0, 8, 32, arena),
                    "F16 has no packed kernel");
            assertThrows(IllegalArgumentException.class,
                    () -> new MatMul(pool, VectorShape.S_256_BIT).pack(GgmlType.Q4_0, w, 0, 100, 32, arena),
                    "rows past the end");
        }
    }

    /**
     * fp16 scales the packed Q4_0, Q8_0 and Q4_K kernels convert themselves (Q4_K: {@code d} and {@code dmin}):
     * zeros, subnormals, the extremes, both signs.
     */
    private static final short[] SPECIAL_SCALES = {0x0000, (short) 0x8000, 0x0001, 0x03ff, (short) 0x83ff, 0x0400,
            0x3c00, (short) 0xc100, 0x7bff, (short) 0xfbff, 0x1234, (short) 0x8001};

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "Q4_K"})
    void scalesOfEveryFiniteKindConvertExactly(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(5);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            for (VectorShape shape : new VectorShape[] {VectorShape.S_256_BIT, VectorShape.S_512_BIT}) {
                MatMul mm = new MatMul(pool, shape);
                int rows = 48;
                int cols = 3 * type.blockSize();
                MemorySegment w = Weights.random(arena, type, rows, cols, 0, rnd);
                int blocks = rows * cols / type.blockSize();
                for (int i = 0; i < blocks; i++) {
                    for (int s = 0; s < halves(type); s++) {
                        w.set(HALF, type.typeSize() * i + 2L * s,
                                SPECIAL_SCALES[(i + 5 * s) % SPECIAL_SCALES.length]);
                    }
                }
                float[] deq = Weights.dequantize(type, w, 0, rows, cols);
                float[] x = MatMulTest.exactActivations(0, cols, rnd);
                double[] ref = Weights.referenceProduct(deq, rows, cols, x, 0, 1);
                float[] out = new float[rows];
                PackedMatrix packed = mm.pack(type, w, 0, rows, cols, arena);
                assertNotNull(packed, type + " with finite scales is packed");
                mm.multiply(packed, x, 0, 1, out, 0);
                double[] e = new double[cols];
                for (int r = 0; r < rows; r++) {
                    compare(type + " " + shape + " special scales", r, ref[r], out[r],
                            Tolerance.bound(deq, r, cols, x, 0, 0, e));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "Q4_K"})
    void aMatrixWithAnInfiniteOrNanScaleStaysUnpacked(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(6);
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, VectorShape.S_256_BIT);
            int cols = 2 * type.blockSize();
            for (int s = 0; s < halves(type); s++) {
                for (short bad : new short[] {0x7c00, (short) 0xfc00, 0x7e00, 0x7c01}) {
                    MemorySegment w = Weights.random(arena, type, 16, cols, 0, rnd);
                    w.set(HALF, type.typeSize() * 21 + 2L * s, bad);
                    assertNull(mm.pack(type, w, 0, 16, cols, arena),
                            type + " fp16 " + s + " of a block " + Integer.toHexString(bad & 0xffff));
                }
            }
        }
    }

    /** The fp16 scales at the start of a block of {@code type}: Q4_K's {@code d} and {@code dmin}, the others' one. */
    private static int halves(GgmlType type) {
        return type == GgmlType.Q4_K ? 2 : 1;
    }

    /**
     * Q8_0 quants of -128 (which ggml's quantizer never writes, but a file may hold) against activations of -127:
     * the largest products, two of which the packed kernel sums in a 16-bit lane.
     */
    @ParameterizedTest
    @EnumSource(value = VectorShape.class, names = {"S_256_BIT", "S_512_BIT"})
    void q8_0ExtremeQuantsDoNotOverflow(VectorShape shape) {
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            int rows = 16;
            int cols = 64;
            MemorySegment w = arena.allocate(GgmlType.Q8_0.byteSize(cols) * rows);
            for (int b = 0; b < rows * cols / 32; b++) {
                w.set(HALF, 34L * b, (short) 0x3c00);
                for (int i = 0; i < 32; i++) {
                    // Row 0 all -128, row 1 all 127, the others alternating.
                    int r = b / (cols / 32);
                    byte q = r == 0 ? -128 : r == 1 ? 127 : (byte) (i % 2 == 0 ? -128 : 127);
                    w.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + i, q);
                }
            }
            float[] x = new float[cols];
            Arrays.fill(x, -1f);
            float[] out = new float[rows];
            mm.multiply(mm.pack(GgmlType.Q8_0, w, 0, rows, cols, arena), x, 0, 1, out, 0);
            // The activations' scale is an fp16 (1/127 to 2^-11 relative); a sum that overflowed would be far off.
            double tolerance = 128.0 * cols / 1024;
            assertEquals(128.0 * cols, out[0], tolerance);
            assertEquals(-127.0 * cols, out[1], tolerance);
            for (int r = 2; r < rows; r++) {
                assertEquals(0.5 * cols, out[r], tolerance, "row " + r);
            }
        }
    }

    /**
     * Q6_K quants at both ends (all 0, that is -32, and all 63) against activations of the largest magnitude: a
     * 16-bit half of the packed kernel sums eight products up to 32·127 each, 32512 at most, which must come out exact
     * whatever its unmasked shifted fields overflow to on the way.
     */
    @ParameterizedTest
    @EnumSource(value = VectorShape.class, names = {"S_256_BIT", "S_512_BIT"})
    void q6_KExtremeQuantsDoNotOverflow(VectorShape shape) {
        assertExtremeProducts(shape, GgmlType.Q6_K, -32, 31, (w, at, r) -> {
            // Row 0 all 0, row 1 all 63; the others 0 in their first 128 values of a block and 63 in the rest.
            for (int i = 0; i < 192; i++) {
                int half = i < 128 ? i / 64 : (i - 128) / 32;
                boolean high = r == 1 || r >= 2 && half == 1;
                w.set(ValueLayout.JAVA_BYTE, at + i, (byte) (high ? 0xff : 0));
            }
            for (int j = 0; j < 16; j++) {
                w.set(ValueLayout.JAVA_BYTE, at + 192 + j, (byte) 1);
            }
            w.set(HALF, at + 208, (short) 0x3c00);
        });
    }

    /**
     * Q4_K quants at both ends (all 15 and all 0) with every sub-block scale 63, against activations of the largest
     * magnitude: a 16-bit half of the packed kernel sums sixteen products up to 15·127 each, 30480 at most, which must
     * come out exact whatever its unmasked shifted nibbles overflow to on the way.
     */
    @ParameterizedTest
    @EnumSource(value = VectorShape.class, names = {"S_256_BIT", "S_512_BIT"})
    void q4_KExtremeQuantsDoNotOverflow(VectorShape shape) {
        assertExtremeProducts(shape, GgmlType.Q4_K, 15 * 63, 0, (w, at, r) -> {
            w.set(HALF, at, (short) 0x3c00); // d = 1
            w.set(HALF, at + 2, (short) 0); // dmin = 0
            // Scales of 63 and mins of 0 in ggml's 6-bit packing (see PackedKernel.kScale and kMin).
            for (int i = 0; i < 12; i++) {
                w.set(ValueLayout.JAVA_BYTE, at + 4 + i, (byte) (i < 4 ? 0xff : i < 8 ? 0 : 0x0f));
            }
            // Row 0 all 15, row 1 all 0; the others 15 in the low nibbles (columns 0-31 of each 64) only.
            byte q = (byte) (r == 0 ? 0xff : r == 1 ? 0 : 0x0f);
            for (int i = 0; i < 128; i++) {
                w.set(ValueLayout.JAVA_BYTE, at + 16 + i, q);
            }
        });
    }

    /** Writes the block at byte {@code at} of a matrix, which is in row {@code row}. */
    private interface BlockWriter {
        void write(MemorySegment w, long at, int row);
    }

    /**
     * A 16-row, 512-column matrix of a 256-column block type written by {@code blocks}, whose row 0 and row 1
     * dequantize to {@code row0} and {@code row1} in every column, times activations of all 1 and all -1 (quantized
     * to ±127): the packed product must give those rows' exact sums and the reference's for the others.
     */
    private static void assertExtremeProducts(VectorShape shape, GgmlType type, double row0, double row1,
            BlockWriter blocks) {
        try (WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            MatMul mm = new MatMul(pool, shape);
            int rows = 16;
            int cols = 512;
            long blockBytes = type.byteSize(256);
            MemorySegment w = arena.allocate(type.byteSize(cols) * rows);
            for (int b = 0; b < rows * cols / 256; b++) {
                blocks.write(w, blockBytes * b, b / (cols / 256));
            }
            float[] deq = Weights.dequantize(type, w, 0, rows, cols);
            assertEquals(row0, deq[0], "the reference dequantizes row 0 as the test means");
            assertEquals(row1, deq[cols], "the reference dequantizes row 1 as the test means");
            double tolerance = Math.max(Math.abs(row0), Math.abs(row1)) * cols / 1024;
            for (float sign : new float[] {-1f, 1f}) {
                float[] x = new float[cols];
                Arrays.fill(x, sign);
                float[] out = new float[rows];
                mm.multiply(mm.pack(type, w, 0, rows, cols, arena), x, 0, 1, out, 0);
                double[] ref = Weights.referenceProduct(deq, rows, cols, x, 0, 1);
                assertEquals(row0 * sign * cols, out[0], tolerance);
                assertEquals(row1 * sign * cols, out[1], tolerance);
                for (int r = 2; r < rows; r++) {
                    assertEquals(ref[r], out[r], tolerance, type + " row " + r);
                }
            }
        }
    }

    private static final ValueLayout.OfShort HALF =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static void compare(String where, int r, double expected, float actual, double tol) {
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(where + ": out[" + r + "] = " + actual + ", reference " + expected + ", error "
                    + Math.abs(actual - expected) + " > bound " + tol);
        }
    }
}
