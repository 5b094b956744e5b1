package org.ristretto.cpu.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.ristretto.core.quant.GgmlType;

/**
 * A matrix×vector kernel that reads weights rearranged once, at first use, into groups of {@link #rows()} rows.
 *
 * <p>In the file's layout every row is a separate stream of blocks, and a matrix×vector product spends most of its
 * instructions per block and per row on scalar work: converting the block's fp16 scale, broadcasting it, reducing
 * the row's vector accumulator at the end. Interleaving the rows of a group block by block lets one vector hold a
 * value of each row, one row per 32-bit lane: their scales load as one vector, their quants unpack with the same
 * few instructions, and the group's sums come out in the lanes of one float vector, with no horizontal reduction.
 * The activations are broadcast instead, one pair of 16-bit quants per 32-bit lane ({@link #pairs}), so that the
 * pair's two products in a lane belong to the same row and widen to 32 bits with one shift and add.
 *
 * <p>This is the same idea as ggml's "repacked" CPU buffers (its {@code Q4_0x8} layout for AVX2); the layouts here
 * are our own, chosen so that a Vector API kernel unpacks them cheaply. A group has as many rows as a full-width
 * vector has int lanes: 8 at 256 bits, 16 at 512 (where the kernels do twice the work per instruction: on a
 * 2-core Zen 5, decoding a Q8_0 1B model went from 16 to 25 tokens/s when its groups went from 8 rows at 256 bits
 * to 16 at 512). The layout therefore depends on the width, which is fixed for the process; packed copies are made
 * by the process that uses them.
 */
abstract class PackedKernel {
    /** The sign bit of a float, where a sign-extended fp16 has its sign too. */
    static final int SIGN = 0x80000000;
    /** 2^(127 - 15): rebiases an fp16 exponent placed in a float's exponent bits. */
    static final float HALF_BIAS = 0x1p112f;
    /** Little-endian 16- and 32-bit words in byte arrays, for {@link #packScalesAndWords}. */
    private static final VarHandle SHORTS =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** The vector width; kernels ask it for their species each time (see {@link Lanes}). */
    final Lanes lanes;
    /**
     * Rows per interleaved group: the int lanes of a full-width vector. For packing and callers; the kernels' loops
     * use {@code lanes.ints().length()} instead, which C2 folds to a constant where a field load stays a load.
     */
    final int rows;
    private final GgmlType type;
    private final ActivationFormat activation;
    private final int packedBlockBytes;

    /**
     * @param type the weight type packed
     * @param activation the form its activations take
     * @param lanes the vector width, 256 or 512 bits
     * @param packedBlockBytes bytes of one of {@code type}'s blocks for all {@link #rows()} rows, packed
     */
    PackedKernel(GgmlType type, ActivationFormat activation, Lanes lanes, int packedBlockBytes) {
        this.type = type;
        this.activation = activation;
        this.lanes = lanes;
        this.rows = lanes.ints().length();
        this.packedBlockBytes = packedBlockBytes;
    }

    /** Rows per interleaved group. */
    final int rows() {
        return rows;
    }

    /** The weight type this kernel packs. */
    final GgmlType type() {
        return type;
    }

    /** The form the activations are quantized to before {@link #pairs}. */
    final ActivationFormat activation() {
        return activation;
    }

    /** Bytes of one packed group of {@link #rows()} rows of {@code cols} elements. */
    final long groupBytes(int cols) {
        return (long) packedBlockBytes * (cols / type.blockSize());
    }

    /**
     * Packs {@link #rows()} rows of {@code cols} elements in the file's block layout, starting at byte {@code src} of
     * {@code w}, into the group at byte {@code dst} of {@code out}. The rows go through heap arrays ({@code buffers}
     * holds two, grown as needed), since packing runs once per weight, mostly before the JIT has compiled it, and
     * plain array code is fast from the start where segment accesses are not.
     */
    final boolean pack(MemorySegment w, long src, int cols, MemorySegment out, long dst, byte[][] buffers) {
        int rowBytes = Math.toIntExact(type().byteSize(cols));
        int packed = Math.toIntExact(groupBytes(cols));
        if (buffers[0].length < rows * rowBytes) {
            buffers[0] = new byte[rows * rowBytes];
        }
        if (buffers[1].length < packed) {
            buffers[1] = new byte[packed];
        }
        MemorySegment.copy(w, ValueLayout.JAVA_BYTE, src, buffers[0], 0, rows * rowBytes);
        boolean exact = packRows(buffers[0], rowBytes, cols, buffers[1]);
        MemorySegment.copy(buffers[1], 0, out, ValueLayout.JAVA_BYTE, dst, packed);
        return exact;
    }

    /**
     * Packs the {@link #rows()} rows of {@code rowBytes} bytes each in {@code in} into one group in {@code out}.
     *
     * @return false when the kernel would not compute these rows exactly as the file's layout says (a layout that
     *     keeps fp16 scales converts only finite ones), and the matrix must stay unpacked
     */
    abstract boolean packRows(byte[] in, int rowBytes, int cols, byte[] out);

    /**
     * Runs what a one-token product runs, quantizing the activations, {@link #pairs} and {@link #dotTwoGroups} (on a
     * zero group of one K-block's worth of columns), until the JIT has compiled it, so that the first real product
     * does not run in the interpreter, where Vector API code is about a thousand times slower (measured: about 1 s of
     * one core, 5000 calls; when only the kernel was warmed, JFR caught the quantizer and pairs in 7–18 samples of a
     * 1B model's first prompt, 3–5 since). Stops early when the thread is interrupted.
     */
    final void warmUp() {
        int cols = 256;
        // A shared arena, like the packed copies': code compiled against a confined one would deoptimize on them.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment group = arena.allocate(groupBytes(cols), 64);
            float[] values = JitWarmUp.activations(cols);
            Activations x = new Activations();
            x.begin(activation(), values, 0, cols, 1);
            x.pairs = new int[pairCount(cols)];
            float[] out = new float[rows];
            JitWarmUp.untilCompiled(1, () -> {
                x.quantize(0);
                pairs(x);
                dotTwoGroups(group, 0, group, 0, cols, x, out, 0, out, 0);
            });
        }
    }

    /**
     * {@link #packRows} for blocks of an fp16 scale followed by quants in words of {@code wordBytes} bytes, 2 or 4
     * (Q8_0: 2, Q4_0: 4): each packed block is the group's scales as they are, then word 0 of every row, word 1 of
     * every row, and so on.
     *
     * @return false where a scale is infinite or NaN ({@link #copyHalf})
     */
    final boolean packScalesAndWords(byte[] in, int rowBytes, int blocks, int blockBytes, int wordBytes, byte[] out) {
        int words = (blockBytes - 2) / wordBytes;
        boolean finite = true;
        for (int b = 0; b < blocks; b++) {
            int o = blockBytes * rows * b;
            for (int r = 0; r < rows; r++) {
                int block = r * rowBytes + blockBytes * b;
                finite &= copyHalf(in, block, out, o + 2 * r);
                for (int t = 0; t < words; t++) {
                    int from = block + 2 + wordBytes * t;
                    int to = o + 2 * rows + wordBytes * (rows * t + r);
                    // One word at a time: measured 10% (Q8_0) to 30% (Q4_0) faster packing than byte by byte.
                    if (wordBytes == 4) {
                        copy4(in, from, out, to);
                    } else {
                        SHORTS.set(out, to, (short) SHORTS.get(in, from));
                    }
                }
            }
        }
        return finite;
    }

    /** The little-endian fp16 at {@code a[i]}, as a float. */
    static float half(byte[] a, int i) {
        return Float.float16ToFloat((short) ((a[i] & 0xff) | a[i + 1] << 8));
    }

    /**
     * Copies the little-endian fp16 at {@code in[from]} to {@code out[to]}; false when it is infinite or NaN, which
     * the kernels' vector conversion ({@code (h & 0x7fff) << 13} as float bits, times 2^112, with the sign of
     * {@code h}: exact for zeros, subnormals and normal numbers) would turn into a finite number.
     */
    static boolean copyHalf(byte[] in, int from, byte[] out, int to) {
        out[to] = in[from];
        out[to + 1] = in[from + 1];
        return (in[from + 1] & 0x7c) != 0x7c;
    }

    /** Copies four bytes as one word (a call to {@code System.arraycopy} costs more than the copy at this size). */
    static void copy4(byte[] in, int from, byte[] out, int to) {
        INTS.set(out, to, (int) INTS.get(in, from));
    }

    /** Stores the low 16 bits of {@code v} little-endian at {@code a[i]}. */
    static void putShort(byte[] a, int i, long v) {
        SHORTS.set(a, i, (short) v);
    }

    /** Stores {@code v} little-endian at {@code a[i]}. */
    static void putFloat(byte[] a, int i, float v) {
        putInt(a, i, Float.floatToRawIntBits(v));
    }

    /** The little-endian long at {@code a[i]}: eight bytes at once, for packing a byte per quant in its lanes. */
    static long getLong(byte[] a, int i) {
        return (long) LONGS.get(a, i);
    }

    /** Stores {@code v} little-endian at {@code a[i]}. */
    static void putInt(byte[] a, int i, int v) {
        INTS.set(a, i, v);
    }

    /** The length of {@code x.pairs} that {@link #pairs} fills for {@code cols} columns: one per two columns. */
    int pairCount(int cols) {
        return cols / 2;
    }

    /**
     * Fills {@code x.pairs} from token 0 of the quantized activations: the 32-bit lanes this kernel broadcasts,
     * in the order it reads them. Here: the quants of columns {@code 2i} and {@code 2i+1} in pair {@code i}, which
     * kernels that multiply a piece of two neighbouring quants per row (Q8_0, Q5_K, IQ4) read; others override it.
     */
    void pairs(Activations x) {
        for (int c = 0; c < x.cols; c += 2) {
            x.pairs[c / 2] = pair(x.q[c], x.q[c + 1]);
        }
    }

    /**
     * Rows times token 0 of {@code x}, for two groups at once: {@code out[o + i]} = row {@code i} of the group at byte
     * {@code group} of {@code w}, {@code out2[o2 + i]} = row {@code i} of the group at byte {@code group2} of
     * {@code w2}. Two groups, because C2 compiles each broadcast of a pair of activation quants into three
     * instructions, which two groups then share instead of one (measured: 1.2 to 1.3 times faster); a lone group
     * is passed twice.
     */
    abstract void dotTwoGroups(MemorySegment w, long group, MemorySegment w2, long group2, int cols, Activations x,
            float[] out, int o, float[] out2, int o2);

    /**
     * The 6-bit scale of sub-block {@code j} from the 12 packed bytes at {@code in[at]} of a Q4_K or Q5_K block
     * (ggml's {@code get_scale_min_k4}).
     */
    static int kScale(byte[] in, int at, int j) {
        return j < 4 ? in[at + j] & 63 : (in[at + j + 4] & 0xf) | (in[at + j - 4] & 0xff) >> 6 << 4;
    }

    /**
     * Writes row {@code r}'s eight 6-bit sub-block scales of a Q4_K or Q5_K block (the 12 packed bytes at
     * {@code in[at]}) as a byte per row each, sub-block after sub-block, from {@code out[o]}, and its eight mins
     * likewise from {@code out[o + 8·rows]}.
     */
    final void packKScalesAndMins(byte[] in, int at, byte[] out, int o, int r) {
        for (int j = 0; j < 8; j++) {
            out[o + rows * j + r] = (byte) kScale(in, at, j);
            out[o + 8 * rows + rows * j + r] = (byte) kMin(in, at, j);
        }
    }

    /** The 6-bit min of sub-block {@code j}, as {@link #kScale}. */
    static int kMin(byte[] in, int at, int j) {
        return j < 4 ? in[at + j + 4] & 63 : (in[at + j + 4] & 0xff) >> 4 | (in[at + j] & 0xff) >> 6 << 4;
    }

    /** The 32-bit lane of the low 16 bits of {@code lo} (its lower half) and of {@code hi} (its upper half). */
    static int pair(int lo, int hi) {
        return (lo & 0xffff) | hi << 16;
    }

    /**
     * The pair of activations broadcast against nibble {@code n} of 16-bit halves that hold four 4-bit quants each,
     * in kernels that shift a half right by {@code 4n} and multiply without masking: {@code q[lo] − 16·q[lo']} in the
     * lower half and {@code q[hi] − 16·q[hi']} in the upper, where {@code lo'} and {@code hi'} are the columns of
     * nibble {@code n − 1} ({@code −1} for nibble 0, which takes the quants as they are).
     *
     * <p>Why this is exact: with {@code a_n = h >>> 4n} ({@code a_4 = 0}), nibble {@code n} of {@code h} is
     * {@code a_n − 16·a_(n+1)}, so {@code Σ nibble_n·x_n = Σ a_n·(x_n − 16·x_(n−1))}. That identity holds modulo
     * 2^16, which is what 16-bit lanes compute whatever the single products overflow to, and a sum whose true value
     * fits in 16 bits comes out exact. It saves the mask of every nibble: a quarter of the kernel's instructions.
     */
    static int telescoped(short[] q, int lo, int hi, int previousLo, int previousHi) {
        if (previousLo < 0) {
            return pair(q[lo], q[hi]);
        }
        return pair(q[lo] - 16 * q[previousLo], q[hi] - 16 * q[previousHi]);
    }
}
