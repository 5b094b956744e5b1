package org.ristretto.cpu.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.quant.GgmlType;

/**
 * The many-token product (prefill): a float matrix product over dequantized weight tiles.
 *
 * <p>With many tokens the product is compute-bound, and the Vector API's float FMA beats its integer arithmetic
 * (it has no byte or short dot-product instruction): a register-blocked FMA kernel over {@code 2·lanes} tokens
 * measured about 3× the MAC rate of the Q8 integer kernels on AVX2. The weights are dequantized once per tile of
 * rows and K-block ({@link FastDequant}, float for float what the scalar references give), and reused for every
 * token, so their cost is spread over the tokens; the activations stay in float (more accurate than Q8, never less).
 *
 * <p>Layout: the activations are transposed once per call into token tiles, {@code xt[tile][k][j]} for the
 * {@code j}-th token of the tile, so that one vector load gives one column for a tile's tokens. A chunk of
 * {@link #ROWS} rows accumulates {@code [row][token]} in a per-worker buffer across the K-blocks, then writes out.
 */
final class TiledProduct {
    /** Rows the kernel computes at once. */
    static final int KERNEL_ROWS = 8;
    /** Rows per chunk: a multiple of {@link #KERNEL_ROWS}. */
    static final int ROWS = 16;
    /** Columns per K-block: a multiple of every block size (256); a {@code ROWS × K_BLOCK} tile is 32 KB. */
    static final int K_BLOCK = 512;

    private final Lanes lanes;

    TiledProduct(Lanes lanes) {
        this.lanes = lanes;
    }

    /** Tokens per tile: two float vectors. */
    int tokenTile() {
        return 2 * lanes.floats().length();
    }

    /** Floats of transposed activations for {@code nTokens} tokens of {@code cols}. */
    long transposedSize(int cols, int nTokens) {
        int tt = tokenTile();
        return (long) (nTokens + tt - 1) / tt * tt * cols;
    }

    /** Writes token tile {@code tile} of {@code x} (tokens of {@code cols} floats) transposed into {@code xt}. */
    void transpose(float[] x, int xOffset, int cols, int nTokens, int tile, float[] xt) {
        int tt = tokenTile();
        int base = tile * tt * cols;
        for (int j = 0; j < tt; j++) {
            int t = tile * tt + j;
            if (t < nTokens) {
                int src = xOffset + t * cols;
                for (int k = 0; k < cols; k++) {
                    xt[base + k * tt + j] = x[src + k];
                }
            } else {
                for (int k = 0; k < cols; k++) {
                    xt[base + k * tt + j] = 0;
                }
            }
        }
    }

    /** Per-worker buffers, grown when a larger call arrives. */
    static final class Scratch {
        float[] weights = new float[ROWS * K_BLOCK];
        float[] acc = new float[0];
        float[] acc2 = new float[0];

        void reserve(int paddedTokens) {
            if (acc.length < ROWS * paddedTokens) {
                acc = new float[ROWS * paddedTokens];
                acc2 = new float[ROWS * paddedTokens];
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} ({@code r1 − r0 ≤ ROWS}) of the matrix at byte {@code wOffset} times every token:
     * {@code acc[(r − r0)·paddedTokens + t]}.
     */
    void rows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1,
            int cols, float[] xt, int nTokens, float[] weights, float[] acc) {
        rows(type, w, wOffset, rowBytes, r0, r1, cols, 0, cols, true, xt, nTokens, weights, acc, 0);
    }

    /**
     * As {@link #rows(GgmlType, MemorySegment, long, long, int, int, int, float[], int, float[], float[])} for the
     * columns {@code [kStart, kEnd)} only ({@code kStart} a multiple of {@link #K_BLOCK}), adding to
     * {@code acc[accOffset + (r − r0)·paddedTokens + t]}, which is first zeroed when {@code zero}.
     */
    void rows(GgmlType type, MemorySegment w, long wOffset, long rowBytes, int r0, int r1, int cols, int kStart,
            int kEnd, boolean zero, float[] xt, int nTokens, float[] weights, float[] acc, int accOffset) {
        int tt = tokenTile();
        int tiles = (nTokens + tt - 1) / tt;
        int padded = tiles * tt;
        int n = r1 - r0;
        int rowsK = (n + KERNEL_ROWS - 1) / KERNEL_ROWS * KERNEL_ROWS;
        if (zero) {
            Arrays.fill(acc, accOffset, accOffset + rowsK * padded, 0f);
        }
        for (int k0 = kStart; k0 < kEnd; k0 += K_BLOCK) {
            int kb = Math.min(K_BLOCK, kEnd - k0);
            long colBytes = type.byteSize(k0);
            for (int i = 0; i < n; i++) {
                long at = wOffset + (r0 + i) * rowBytes + colBytes;
                FastDequant.dequantize(lanes, type, w, at, weights, i * K_BLOCK, kb);
            }
            for (int i = n; i < rowsK; i++) {
                Arrays.fill(weights, i * K_BLOCK, i * K_BLOCK + kb, 0f);
            }
            for (int tile = 0; tile < tiles; tile++) {
                int xb = tile * tt * cols + k0 * tt;
                for (int i = 0; i < rowsK; i += KERNEL_ROWS) {
                    kernel(weights, i * K_BLOCK, xt, xb, kb, acc, accOffset + i * padded + tile * tt, padded);
                }
            }
        }
    }

    /**
     * {@code acc[a0 + i·lda + j] += Σ_k w[w0 + i·K_BLOCK + k] · xt[x0 + k·tt + j]} for {@link #KERNEL_ROWS} rows
     * {@code i} and the {@code tt} tokens {@code j} of one tile: sixteen vector accumulators, two activation loads
     * and eight weight broadcasts per column. Eight rows rather than four: per column the four-row kernel did six
     * loads for eight FMAs, and measured 77–84 G multiply-adds per second on one core against 87–93 for this one
     * (Zen 5, 512 bits, in cache).
     */
    private void kernel(float[] w, int w0, float[] xt, int x0, int kb, float[] acc, int a0, int lda) {
        VectorSpecies<Float> fs = lanes.floats();
        int l = fs.length();
        int tt = 2 * l;
        FloatVector z = FloatVector.zero(fs);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int k = 0; k < kb; k++) {
            FloatVector xa = FloatVector.fromArray(fs, xt, x0 + k * tt);
            FloatVector xb = FloatVector.fromArray(fs, xt, x0 + k * tt + l);
            FloatVector b = FloatVector.broadcast(fs, w[w0 + k]);
            c00 = b.fma(xa, c00);
            c01 = b.fma(xb, c01);
            b = FloatVector.broadcast(fs, w[w0 + K_BLOCK + k]);
            c10 = b.fma(xa, c10);
            c11 = b.fma(xb, c11);
            b = FloatVector.broadcast(fs, w[w0 + 2 * K_BLOCK + k]);
            c20 = b.fma(xa, c20);
            c21 = b.fma(xb, c21);
            b = FloatVector.broadcast(fs, w[w0 + 3 * K_BLOCK + k]);
            c30 = b.fma(xa, c30);
            c31 = b.fma(xb, c31);
            b = FloatVector.broadcast(fs, w[w0 + 4 * K_BLOCK + k]);
            c40 = b.fma(xa, c40);
            c41 = b.fma(xb, c41);
            b = FloatVector.broadcast(fs, w[w0 + 5 * K_BLOCK + k]);
            c50 = b.fma(xa, c50);
            c51 = b.fma(xb, c51);
            b = FloatVector.broadcast(fs, w[w0 + 6 * K_BLOCK + k]);
            c60 = b.fma(xa, c60);
            c61 = b.fma(xb, c61);
            b = FloatVector.broadcast(fs, w[w0 + 7 * K_BLOCK + k]);
            c70 = b.fma(xa, c70);
            c71 = b.fma(xb, c71);
        }
        c00.add(FloatVector.fromArray(fs, acc, a0)).intoArray(acc, a0);
        c01.add(FloatVector.fromArray(fs, acc, a0 + l)).intoArray(acc, a0 + l);
        c10.add(FloatVector.fromArray(fs, acc, a0 + lda)).intoArray(acc, a0 + lda);
        c11.add(FloatVector.fromArray(fs, acc, a0 + lda + l)).intoArray(acc, a0 + lda + l);
        c20.add(FloatVector.fromArray(fs, acc, a0 + 2 * lda)).intoArray(acc, a0 + 2 * lda);
        c21.add(FloatVector.fromArray(fs, acc, a0 + 2 * lda + l)).intoArray(acc, a0 + 2 * lda + l);
        c30.add(FloatVector.fromArray(fs, acc, a0 + 3 * lda)).intoArray(acc, a0 + 3 * lda);
        c31.add(FloatVector.fromArray(fs, acc, a0 + 3 * lda + l)).intoArray(acc, a0 + 3 * lda + l);
        c40.add(FloatVector.fromArray(fs, acc, a0 + 4 * lda)).intoArray(acc, a0 + 4 * lda);
        c41.add(FloatVector.fromArray(fs, acc, a0 + 4 * lda + l)).intoArray(acc, a0 + 4 * lda + l);
        c50.add(FloatVector.fromArray(fs, acc, a0 + 5 * lda)).intoArray(acc, a0 + 5 * lda);
        c51.add(FloatVector.fromArray(fs, acc, a0 + 5 * lda + l)).intoArray(acc, a0 + 5 * lda + l);
        c60.add(FloatVector.fromArray(fs, acc, a0 + 6 * lda)).intoArray(acc, a0 + 6 * lda);
        c61.add(FloatVector.fromArray(fs, acc, a0 + 6 * lda + l)).intoArray(acc, a0 + 6 * lda + l);
        c70.add(FloatVector.fromArray(fs, acc, a0 + 7 * lda)).intoArray(acc, a0 + 7 * lda);
        c71.add(FloatVector.fromArray(fs, acc, a0 + 7 * lda + l)).intoArray(acc, a0 + 7 * lda + l);
    }
}
