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
import org.ristretto.core.quant.GgmlType;

/**
 * The many-token product (prefill) of 4-bit weights, Q4_0 and Q4_K, in 16-bit integer lanes, against activations
 * quantized to Q8_0 per token and block of 32, as ggml multiplies Q4_0 (and Q4_K against Q8_K).
 *
 * <p>{@link TiledProduct} multiplies dequantized floats at the FMA's rate, one multiply-add per float lane. Here a
 * 16-bit multiply and add do one per short lane, twice as many lanes, and the cores have more pipes for them than
 * for FMAs: this kernel ran 114–124 G multiply-adds per second against 104 for the float kernel, one Zen 5 core,
 * 512 bits, data in L1 (2026-12-06). It is exact per block: a quant less 8 ({@code −8..7}) times an activation quant
 * ({@code −127..127}) is at most 1016 in size, so a 16-bit lane sums the 32 products of a block (at most 32512)
 * without overflow; each block's sums then widen to float and take the weight and activation scales. In place, on
 * an 8192×2048 × 512-token product, it ran 96 against 89 G per second for the float path with one thread (equal with
 * two: 168–177 against 164–171); a 512-token prefill of the Q4_0 1B model gained 9%. Q4_K's sub-blocks of 32 are
 * such blocks, with scale {@code d·scale} and a second term per block, the activations' block sum times
 * {@code 8·d·scale − dmin·min} ({@link #addMins}). On the 2-core Zen 4 (two threads, 512 tokens, {@code BuildAb}
 * against the float path): Q4_K 8192×2048 1.04, 2048×8192 1.05; a 1B Q4_K_M prefill about 3% faster. The Zen 4 has
 * one pipe for 16-bit multiplies, so they are no faster there than FMAs (Q4_0 here: 106 G per second, Q4_K's float
 * path 98); Q6_K and Q5_K quants, six and five bits, would overflow the 16-bit sums of a block.
 *
 * <p>Layouts. Tokens go in tiles of one short vector ({@link TiledProduct#tokenTile}, as the float path's tiles). A
 * tile's quants are {@code xq[k][token]}, one short vector per column, and its scales {@code dq[block][token]}. A
 * weight quant {@code q} of a row is unpacked once per K-block into the int {@code q | q << 16} (in 16-bit halves), so
 * that one 32-bit broadcast, a load, fills every short lane with it.
 */
final class TiledNibbles {
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    /** Bytes of a Q4_K block of {@link #K_BLOCK} columns. */
    private static final int Q4_K_BYTES = 144;
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

    TiledNibbles(Lanes lanes) {
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
        /** Q4_K: each block's {@code 8·d·scale − dmin·min}, the factor of its activations' sum. */
        final float[] mins = new float[ROWS * K_BLOCK / BLOCK];
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
    void quantizeTile(float[] x, int xOffset, int cols, int nTokens, int tile, short[] xq, float[] dq, float[] sq,
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
                Arrays.fill(s.tokenSums, 0, blocks, 0f);
            }
            for (int k = 0; k < cols; k++) {
                xq[base + k * tt + j] = s.tokenQuants[k];
            }
            for (int b = 0; b < blocks; b++) {
                dq[scaleBase + b * tt + j] = s.tokenScales[b];
                sq[scaleBase + b * tt + j] = s.tokenSums[b];
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} ({@code r1 − r0 ≤ ROWS}) of the {@code type} (Q4_0 or Q4_K) matrix at byte
     * {@code wOffset} times every token: {@code acc[(r − r0)·paddedTokens + t]}, as {@link TiledProduct#rows}.
     */
    void rows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int cols, short[] xq,
            float[] dq, float[] sq, int nTokens, Scratch s, float[] acc) {
        rows(type, w, wOffset, rowBytes, r0, r1, cols, 0, cols, true, xq, dq, sq, nTokens, s, acc, 0);
    }

    /**
     * As {@link #rows(MemorySegment, long, long, int, int, int, short[], float[], int, Scratch, float[])} for the
     * columns {@code [kStart, kEnd)} only ({@code kStart} a multiple of 256), adding to
     * {@code acc[accOffset + (r − r0)·paddedTokens + t]}, which is first zeroed when {@code zero}.
     */
    void rows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int cols, int kStart,
            int kEnd, boolean zero, short[] xq, float[] dq, float[] sq, int nTokens, Scratch s, float[] acc,
            int accOffset) {
        boolean q4k = type == GgmlType.Q4_K;
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
                if (q4k) {
                    unpackQ4_K(w, wOffset + (r0 + i) * rowBytes + (long) Q4_K_BYTES * (k0 / K_BLOCK), s.quants,
                            i * K_BLOCK, s.scales, s.mins, i * (K_BLOCK / BLOCK));
                } else {
                    unpack(w, wOffset + (r0 + i) * rowBytes + (long) BLOCK_BYTES * (k0 / BLOCK), kb, s.quants,
                            i * K_BLOCK, s.scales, i * (K_BLOCK / BLOCK));
                }
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
                if (q4k) {
                    addMins(s.mins, n, sq, d0, acc, accOffset + tile * tt, padded);
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
        for (int b = 0; b < n / BLOCK; b++) {
            long o = at + (long) BLOCK_BYTES * b;
            scales[s0 + b] = IntDot.half(w, o);
            nibbles(w, o + 2, BLOCK / 2, quants, q0 + BLOCK * b);
        }
    }

    /**
     * The {@code n} bytes at {@code w[at]} (a multiple of a quarter vector) as quants less 8 in the form
     * {@code q | q << 16}: their low nibbles at {@code quants[to ..]}, then their high nibbles at
     * {@code quants[to + n ..]}, as both Q4_0 (16 bytes a block) and Q4_K (32 bytes for two sub-blocks) keep them.
     */
    private void nibbles(MemorySegment w, long at, int n, int[] quants, int to) {
        w = NativeSegments.of(w);
        VectorSpecies<Byte> bs = lanes.quarterBytes();
        VectorSpecies<Integer> is = lanes.ints();
        IntVector sixteen = IntVector.broadcast(is, 16);
        IntVector low = IntVector.broadcast(is, 0xffff);
        IntVector eight = IntVector.broadcast(is, 8);
        IntVector four = IntVector.broadcast(is, 4);
        IntVector byteMask = IntVector.broadcast(is, 0xff);
        IntVector nibbleMask = IntVector.broadcast(is, 0x0f);
        for (int j = 0; j < n; j += bs.length()) {
            ByteVector q = ByteVector.fromMemorySegment(bs, w, at + j, ByteOrder.LITTLE_ENDIAN);
            IntVector v = ((IntVector) q.convertShape(VectorOperators.B2I, is, 0)).and(byteMask);
            IntVector lo = v.and(nibbleMask).sub(eight);
            IntVector hi = v.lanewise(VectorOperators.LSHR, four).sub(eight);
            lo.lanewise(VectorOperators.LSHL, sixteen).or(lo.and(low)).intoArray(quants, to + j);
            hi.lanewise(VectorOperators.LSHL, sixteen).or(hi.and(low)).intoArray(quants, to + n + j);
        }
    }

    /**
     * One Q4_K block (256 columns) of a row from byte {@code at}: its quants less 8 as {@code q | q << 16} at
     * {@code quants[q0]}, and for each sub-block of 32 the scale {@code d·scale} at {@code scales[s0 + j]} and the
     * factor {@code 8·d·scale − dmin·min} of the activations' sum at {@code mins[s0 + j]}: a weight
     * {@code d·scale·q − dmin·min} is {@code d·scale·(q − 8) + (8·d·scale − dmin·min)}, and {@code q − 8} keeps a
     * sub-block's 32 products within 16 bits, as Q4_0's.
     */
    private void unpackQ4_K(MemorySegment w, long at, int[] quants, int q0, float[] scales, float[] mins, int s0) {
        w = NativeSegments.of(w);
        float d = IntDot.half(w, at);
        float dmin = IntDot.half(w, at + 2);
        // ggml's get_scale_min_k4, word-wise: scales of sub-blocks 0-3 and 4-7, then mins of 0-3 and 4-7.
        int pk0 = w.get(IntDot.I32, at + 4);
        int pk1 = w.get(IntDot.I32, at + 8);
        int pk2 = w.get(IntDot.I32, at + 12);
        int scLo = pk0 & 0x3f3f3f3f;
        int scHi = (pk2 & 0x0f0f0f0f) | (pk0 >>> 6 & 0x03030303) << 4;
        int mLo = pk1 & 0x3f3f3f3f;
        int mHi = (pk2 >>> 4 & 0x0f0f0f0f) | (pk1 >>> 6 & 0x03030303) << 4;
        for (int j = 0; j < 8; j++) {
            float scale = d * ((j < 4 ? scLo : scHi) >>> 8 * (j & 3) & 0xff);
            scales[s0 + j] = scale;
            mins[s0 + j] = 8 * scale - dmin * ((j < 4 ? mLo : mHi) >>> 8 * (j & 3) & 0xff);
        }
        // Sub-blocks 2p and 2p + 1 are the low and high nibbles of the same 32 bytes.
        for (int p = 0; p < 4; p++) {
            nibbles(w, at + 16 + 32L * p, 32, quants, q0 + 64 * p);
        }
    }

    /**
     * Q4_K's other term: {@code acc[a0 + i·lda + j] += Σ_b mins[i·8 + b]·sq[s0 + b·tt + j]} for the {@code n} rows
     * {@code i} of one K-block and the token tile's {@code tt} tokens {@code j}, {@code sq} the activations' block
     * sums (scale times the sum of the quants).
     */
    private void addMins(float[] mins, int n, float[] sq, int s0, float[] acc, int a0, int lda) {
        VectorSpecies<Float> fs = lanes.floats();
        int l = fs.length();
        int tt = lanes.shorts().length();
        int sb = K_BLOCK / BLOCK;
        for (int i = 0; i < n; i++) {
            int a = a0 + i * lda;
            FloatVector fa = FloatVector.fromArray(fs, acc, a);
            FloatVector fb = FloatVector.fromArray(fs, acc, a + l);
            for (int b = 0; b < sb; b++) {
                FloatVector m = FloatVector.broadcast(fs, mins[i * sb + b]);
                fa = FloatVector.fromArray(fs, sq, s0 + b * tt).fma(m, fa);
                fb = FloatVector.fromArray(fs, sq, s0 + b * tt + l).fma(m, fb);
            }
            fa.intoArray(acc, a);
            fb.intoArray(acc, a + l);
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
