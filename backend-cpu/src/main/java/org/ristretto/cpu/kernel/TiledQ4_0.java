package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The many-token product (prefill) of Q4_0 weights in 16-bit integer lanes, against activations quantized to Q8_0 per
 * token and block of 32, as ggml multiplies Q4_0.
 *
 * <p>{@link TiledProduct} multiplies dequantized floats at the FMA's rate, one multiply-add per float lane. Here a
 * 16-bit multiply and add do one per short lane, twice as many lanes, and the cores have more pipes for them than
 * for FMAs: this kernel ran 114–124 G multiply-adds per second against 104 for the float kernel, one Zen 5 core,
 * 512 bits, data in L1 (2026-12-06). It is exact per block: a Q4_0 quant ({@code −8..7}) times an activation quant
 * ({@code −127..127}) is at most 1016 in size, so a 16-bit lane sums the 32 products of a block (at most 32512)
 * without overflow; each block's sums then widen to float and take the weight and activation scales. In place, on
 * an 8192×2048 × 512-token product, it ran 96 against 89 G per second for the float path with one thread (equal with
 * two: 168–177 against 164–171); a 512-token prefill of the Q4_0 1B model gained 9%.
 *
 * <p>Layouts. Tokens go in tiles of one short vector ({@link TiledProduct#tokenTile}, as the float path's tiles). A
 * tile's quants are {@code xq[k][token]}, one short vector per column, and its scales {@code dq[block][token]}. A
 * weight quant {@code q} of a row is unpacked once per K-block into the int {@code q | q << 16} (in 16-bit halves), so
 * that one 32-bit broadcast, a load, fills every short lane with it.
 */
final class TiledQ4_0 {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    /** Rows the kernel computes at once: eight short and sixteen float accumulators fit the 32 vector registers. */
    private static final int KERNEL_ROWS = TiledProduct.KERNEL_ROWS;
    private static final int ROWS = TiledProduct.ROWS;
    /**
     * Columns per K-block: a chunk's unpacked weights (16 rows × 256 ints, 16 KB) and a token tile's quants of the
     * block (256 columns × 32 tokens, 16 KB) fit L1 together. With 512 (64 KB) one thread ran 90–93 G multiply-adds
     * per second on an 8192×2048 × 512-token product, with 256 about 96.
     */
    static final int K_BLOCK = 256;

    private final Lanes lanes;

    TiledQ4_0(Lanes lanes) {
        this.lanes = lanes;
    }

    /** Tokens per tile: one short vector. */
    int tokenTile() {
        return lanes.shorts().length();
    }

    /** Per-worker buffers of one chunk's unpacked weights. */
    static final class Scratch {
        final int[] quants = new int[ROWS * K_BLOCK];
        final float[] scales = new float[ROWS * K_BLOCK / BLOCK];
        /** One token's quants and block scales while a tile is written. */
        short[] tokenQuants = new short[0];
        float[] tokenScales = new float[0];
        float[] tokenSums = new float[0];
    }

    /**
     * Quantizes token tile {@code tile} of {@code x} ({@code nTokens} tokens of {@code cols} floats from
     * {@code xOffset}) to Q8_0 and writes it in the tile layouts {@code xq} (shorts) and {@code dq} (floats, one per
     * token and block); tokens past {@code nTokens} are zeros.
     */
    void quantizeTile(float[] x, int xOffset, int cols, int nTokens, int tile, short[] xq, float[] dq,
            Scratch s) {
        int tt = tokenTile();
        int blocks = cols / BLOCK;
        if (s.tokenQuants.length < cols) {
            s.tokenQuants = new short[cols];
            s.tokenScales = new float[blocks];
            s.tokenSums = new float[blocks];
        }
        int base = tile * tt * cols;
        int scaleBase = tile * tt * blocks;
        for (int j = 0; j < tt; j++) {
            int t = tile * tt + j;
            if (t < nTokens) {
                ActivationQuantizer.q8_0(x, xOffset + t * cols, cols, s.tokenQuants, 0, s.tokenScales, 0,
                        s.tokenSums, 0);
            } else {
                Arrays.fill(s.tokenQuants, 0, cols, (short) 0);
                Arrays.fill(s.tokenScales, 0, blocks, 0f);
            }
            for (int k = 0; k < cols; k++) {
                xq[base + k * tt + j] = s.tokenQuants[k];
            }
            for (int b = 0; b < blocks; b++) {
                dq[scaleBase + b * tt + j] = s.tokenScales[b];
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} ({@code r1 − r0 ≤ ROWS}) of the Q4_0 matrix at byte {@code wOffset} times every token:
     * {@code acc[(r − r0)·paddedTokens + t]}, as {@link TiledProduct#rows}.
     */
    void rows(MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int cols, short[] xq, float[] dq,
            int nTokens, Scratch s, float[] acc) {
        rows(w, wOffset, rowBytes, r0, r1, cols, 0, cols, true, xq, dq, nTokens, s, acc, 0);
    }

    /**
     * As {@link #rows(MemorySegment, long, long, int, int, int, short[], float[], int, Scratch, float[])} for the
     * columns {@code [kStart, kEnd)} only ({@code kStart} a multiple of 256), adding to
     * {@code acc[accOffset + (r − r0)·paddedTokens + t]}, which is first zeroed when {@code zero}.
     */
    void rows(MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int cols, int kStart, int kEnd,
            boolean zero, short[] xq, float[] dq, int nTokens, Scratch s, float[] acc, int accOffset) {
        int tt = tokenTile();
        int tiles = (nTokens + tt - 1) / tt;
        int padded = tiles * tt;
        int blocks = cols / BLOCK;
        int n = r1 - r0;
        int rowsK = (n + KERNEL_ROWS - 1) / KERNEL_ROWS * KERNEL_ROWS;
        if (zero) {
            Arrays.fill(acc, accOffset, accOffset + rowsK * padded, 0f);
        }
        for (int k0 = kStart; k0 < kEnd; k0 += K_BLOCK) {
            int kb = Math.min(K_BLOCK, kEnd - k0);
            for (int i = 0; i < n; i++) {
                unpack(w, wOffset + (r0 + i) * rowBytes + (long) BLOCK_BYTES * (k0 / BLOCK), kb, s.quants,
                        i * K_BLOCK, s.scales, i * (K_BLOCK / BLOCK));
            }
            for (int i = n; i < rowsK; i++) {
                Arrays.fill(s.quants, i * K_BLOCK, i * K_BLOCK + kb, 0);
                Arrays.fill(s.scales, i * (K_BLOCK / BLOCK), i * (K_BLOCK / BLOCK) + kb / BLOCK, 0f);
            }
            for (int tile = 0; tile < tiles; tile++) {
                int x0 = tile * tt * cols + k0 * tt;
                int d0 = tile * tt * blocks + k0 / BLOCK * tt;
                for (int i = 0; i < rowsK; i += KERNEL_ROWS) {
                    kernel(s.quants, i * K_BLOCK, s.scales, i * (K_BLOCK / BLOCK), xq, x0, dq, d0, kb, acc,
                            accOffset + i * padded + tile * tt, padded);
                }
            }
        }
    }

    /**
     * The {@code n} columns of one row from byte {@code at}: quants as {@code q | q << 16} at {@code quants[q0]},
     * block scales at {@code scales[s0]}.
     */
    private void unpack(MemorySegment w, long at, int n, int[] quants, int q0, float[] scales, int s0) {
        w = NativeSegments.of(w);
        VectorSpecies<Byte> bs = lanes.quarterBytes();
        VectorSpecies<Integer> is = lanes.ints();
        IntVector sixteen = IntVector.broadcast(is, 16);
        IntVector low = IntVector.broadcast(is, 0xffff);
        IntVector eight = IntVector.broadcast(is, 8);
        IntVector four = IntVector.broadcast(is, 4);
        IntVector byteMask = IntVector.broadcast(is, 0xff);
        IntVector nibbleMask = IntVector.broadcast(is, 0x0f);
        int step = bs.length();
        for (int b = 0; b < n / BLOCK; b++) {
            long o = at + (long) BLOCK_BYTES * b;
            scales[s0 + b] = IntDot.half(w, o);
            int to = q0 + BLOCK * b;
            for (int j = 0; j < BLOCK / 2; j += step) {
                ByteVector q = ByteVector.fromMemorySegment(bs, w, o + 2 + j, ByteOrder.LITTLE_ENDIAN);
                IntVector v = ((IntVector) q.convertShape(VectorOperators.B2I, is, 0)).and(byteMask);
                IntVector lo = v.and(nibbleMask).sub(eight);
                IntVector hi = v.lanewise(VectorOperators.LSHR, four).sub(eight);
                lo.lanewise(VectorOperators.LSHL, sixteen).or(lo.and(low)).intoArray(quants, to + j);
                hi.lanewise(VectorOperators.LSHL, sixteen).or(hi.and(low)).intoArray(quants, to + BLOCK / 2 + j);
            }
        }
    }

    /**
     * {@code acc[a0 + i·lda + j] += Σ_k w[i][k]·x[k][j]} for {@value #KERNEL_ROWS} rows {@code i} and one token
     * tile, over {@code kb} columns from the given offsets. Each block's 16-bit sums widen to float and take their
     * scales into float accumulators that stay in registers to the end of the K-block; the accumulators are then
     * only operands, never receivers (IntDot).
     */
    private void kernel(int[] wq, int w0, float[] ws, int s0, short[] xq, int x0, float[] dq, int d0, int kb,
            float[] acc, int a0, int lda) {
        VectorSpecies<Short> ss = lanes.shorts();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Float> fs = lanes.floats();
        int tt = ss.length();
        int l = fs.length();
        int sb = K_BLOCK / BLOCK;
        FloatVector fz = FloatVector.zero(fs);
        FloatVector f0a = fz, f0b = fz, f1a = fz, f1b = fz, f2a = fz, f2b = fz, f3a = fz, f3b = fz;
        FloatVector f4a = fz, f4b = fz, f5a = fz, f5b = fz, f6a = fz, f6b = fz, f7a = fz, f7b = fz;
        for (int b = 0; b < kb / BLOCK; b++) {
            ShortVector z = ShortVector.zero(ss);
            ShortVector q0 = z, q1 = z, q2 = z, q3 = z, q4 = z, q5 = z, q6 = z, q7 = z;
            for (int k = BLOCK * b, end = k + BLOCK; k < end; k++) {
                ShortVector x = ShortVector.fromArray(ss, xq, x0 + k * tt);
                int at = w0 + k;
                q0 = IntVector.broadcast(is, wq[at]).reinterpretAsShorts().mul(x).add(q0);
                q1 = IntVector.broadcast(is, wq[at + K_BLOCK]).reinterpretAsShorts().mul(x).add(q1);
                q2 = IntVector.broadcast(is, wq[at + 2 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q2);
                q3 = IntVector.broadcast(is, wq[at + 3 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q3);
                q4 = IntVector.broadcast(is, wq[at + 4 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q4);
                q5 = IntVector.broadcast(is, wq[at + 5 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q5);
                q6 = IntVector.broadcast(is, wq[at + 6 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q6);
                q7 = IntVector.broadcast(is, wq[at + 7 * K_BLOCK]).reinterpretAsShorts().mul(x).add(q7);
            }
            FloatVector da = FloatVector.fromArray(fs, dq, d0 + b * tt);
            FloatVector db = FloatVector.fromArray(fs, dq, d0 + b * tt + l);
            int s = s0 + b;
            FloatVector sc = FloatVector.broadcast(fs, ws[s]);
            f0a = ((FloatVector) q0.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f0a);
            f0b = ((FloatVector) q0.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f0b);
            sc = FloatVector.broadcast(fs, ws[s + sb]);
            f1a = ((FloatVector) q1.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f1a);
            f1b = ((FloatVector) q1.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f1b);
            sc = FloatVector.broadcast(fs, ws[s + 2 * sb]);
            f2a = ((FloatVector) q2.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f2a);
            f2b = ((FloatVector) q2.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f2b);
            sc = FloatVector.broadcast(fs, ws[s + 3 * sb]);
            f3a = ((FloatVector) q3.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f3a);
            f3b = ((FloatVector) q3.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f3b);
            sc = FloatVector.broadcast(fs, ws[s + 4 * sb]);
            f4a = ((FloatVector) q4.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f4a);
            f4b = ((FloatVector) q4.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f4b);
            sc = FloatVector.broadcast(fs, ws[s + 5 * sb]);
            f5a = ((FloatVector) q5.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f5a);
            f5b = ((FloatVector) q5.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f5b);
            sc = FloatVector.broadcast(fs, ws[s + 6 * sb]);
            f6a = ((FloatVector) q6.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f6a);
            f6b = ((FloatVector) q6.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f6b);
            sc = FloatVector.broadcast(fs, ws[s + 7 * sb]);
            f7a = ((FloatVector) q7.convertShape(VectorOperators.S2F, fs, 0)).mul(da).fma(sc, f7a);
            f7b = ((FloatVector) q7.convertShape(VectorOperators.S2F, fs, 1)).mul(db).fma(sc, f7b);
        }
        FloatVector.fromArray(fs, acc, a0).add(f0a).intoArray(acc, a0);
        FloatVector.fromArray(fs, acc, a0 + l).add(f0b).intoArray(acc, a0 + l);
        FloatVector.fromArray(fs, acc, a0 + lda).add(f1a).intoArray(acc, a0 + lda);
        FloatVector.fromArray(fs, acc, a0 + lda + l).add(f1b).intoArray(acc, a0 + lda + l);
        FloatVector.fromArray(fs, acc, a0 + 2 * lda).add(f2a).intoArray(acc, a0 + 2 * lda);
        FloatVector.fromArray(fs, acc, a0 + 2 * lda + l).add(f2b).intoArray(acc, a0 + 2 * lda + l);
        FloatVector.fromArray(fs, acc, a0 + 3 * lda).add(f3a).intoArray(acc, a0 + 3 * lda);
        FloatVector.fromArray(fs, acc, a0 + 3 * lda + l).add(f3b).intoArray(acc, a0 + 3 * lda + l);
        FloatVector.fromArray(fs, acc, a0 + 4 * lda).add(f4a).intoArray(acc, a0 + 4 * lda);
        FloatVector.fromArray(fs, acc, a0 + 4 * lda + l).add(f4b).intoArray(acc, a0 + 4 * lda + l);
        FloatVector.fromArray(fs, acc, a0 + 5 * lda).add(f5a).intoArray(acc, a0 + 5 * lda);
        FloatVector.fromArray(fs, acc, a0 + 5 * lda + l).add(f5b).intoArray(acc, a0 + 5 * lda + l);
        FloatVector.fromArray(fs, acc, a0 + 6 * lda).add(f6a).intoArray(acc, a0 + 6 * lda);
        FloatVector.fromArray(fs, acc, a0 + 6 * lda + l).add(f6b).intoArray(acc, a0 + 6 * lda + l);
        FloatVector.fromArray(fs, acc, a0 + 7 * lda).add(f7a).intoArray(acc, a0 + 7 * lda);
        FloatVector.fromArray(fs, acc, a0 + 7 * lda + l).add(f7b).intoArray(acc, a0 + 7 * lda + l);
    }
}
