package org.ristretto.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.Halves;
import org.ristretto.cpu.kernel.NativeSegments;

/**
 * A KV cache in native memory. Values are laid out {@code [layer][kvHead][position][headDim]}, so that the values of
 * one head over consecutive positions are contiguous: attention reads a tile of positions as one block of memory.
 * Keys are laid out by tile, {@code [layer][kvHead][tile][d][j]} for position {@code tile·TILE + j}: the transposed
 * tile that attention scores {@code TILE} keys from at once, so that no attention call transposes one. (Transposing
 * each tile took about a third of one-token attention at depth 4096, 1B model shapes; scoring key by key instead about
 * as much again in horizontal sums.) Rows are stored as F32, F16 (round to nearest even, as ggml) or Q8_0 (ggml's
 * reference quantizer, one row of {@code headDim} in {@code headDim / 32} blocks); a Q8_0 key tile holds the quants
 * as {@code [d][j]} bytes and then the block scales as {@code [d / 32][j]} halves, the same bytes as its rows.
 */
final class CpuKvCache implements KvCache {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TILE = FlashAttention.TILE;
    /** Float lanes for dequantizing Q8_0 rows, at most 16 (TILE and a block of 32 are multiples of it). */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Whether Q8_0 rows dequantize in vectors: a byte vector of FLOATS' lanes needs 64 bits at least. */
    private static final boolean VECTOR_DEQUANT = FLOATS.vectorBitSize() >= 256;
    /** As many byte lanes as {@link #FLOATS} has float lanes. */
    private static final VectorSpecies<Byte> QUANTS = VECTOR_DEQUANT
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 4)) : null;

    private final KvCacheSpec spec;
    private final MappedMemory memory;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final long rowBytes;
    /** Tiles of positions per head: the context rounded up to whole tiles. */
    private final long tilesPerHead;
    private final QuantFormat q8;
    private boolean closed;

    CpuKvCache(KvCacheSpec spec) {
        this.spec = spec;
        this.rowBytes = spec.type().byteSize(spec.headDim());
        this.tilesPerHead = (spec.contextLength() + TILE - 1) / TILE;
        long keyBytes = (long) spec.layers() * spec.kvHeads() * tilesPerHead * TILE * rowBytes;
        // Mapped, not allocated from an arena: the cache reads as zeros without being zeroed up front, and a short
        // context touches only its first pages (MappedMemory).
        this.memory = new MappedMemory(false);
        try {
            this.keys = memory.allocate(keyBytes, 64);
            this.values = memory.allocate(spec.bytes() / 2, 64);
        } catch (OutOfMemoryError e) {
            memory.close();
            throw new org.ristretto.core.backend.BackendException("the KV cache needs " + spec.bytes()
                    + " bytes of native memory, which could not be allocated", e);
        }
        this.q8 = QuantFormats.of(GgmlType.Q8_0);
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    /** Byte offset of the value row of {@code (layer, head, position)}. */
    private long valueOffset(int layer, int head, int position) {
        return (((long) layer * spec.kvHeads() + head) * spec.contextLength() + position) * rowBytes;
    }

    /** Byte offset of the key tile of {@code (layer, head)} that holds {@code position}: {@code TILE} rows' bytes. */
    private long keyTileOffset(int layer, int head, int position) {
        return (((long) layer * spec.kvHeads() + head) * tilesPerHead + position / TILE) * TILE * rowBytes;
    }

    /** Per-worker buffers of {@link #storeKey} and {@link #storeValue}, made once per worker. */
    static final class StoreScratch {
        private final short[] halves;
        /** One quantized row (native, as the cache, so that the quantizer meets one kind of segment). */
        private final MemorySegment block;

        StoreScratch(int headDim) {
            this.halves = new short[headDim];
            this.block = Arena.ofAuto().allocate(GgmlType.Q8_0.byteSize((headDim + 31) / 32 * 32));
        }

        boolean fits(int headDim) {
            return halves.length >= headDim;
        }
    }

    /** Writes {@code headDim} floats as the key of {@code (layer, head, position)}, into its tile's column. */
    void storeKey(int layer, int head, int position, float[] src, int srcOffset, StoreScratch scratch) {
        long tile = keyTileOffset(layer, head, position);
        int j = position % TILE;
        int hd = spec.headDim();
        switch (spec.type()) {
            case F32 -> {
                for (int d = 0; d < hd; d++) {
                    keys.set(FLOAT, tile + 4L * (d * TILE + j), src[srcOffset + d]);
                }
            }
            case F16 -> {
                for (int d = 0; d < hd; d++) {
                    keys.set(HALF, tile + 2L * (d * TILE + j), Fp16.fromFloat(src[srcOffset + d]));
                }
            }
            case Q8_0 -> {
                q8.quantize(src, srcOffset, scratch.block, 0, hd);
                long scales = tile + (long) hd * TILE;
                for (int b = 0; b < hd / 32; b++) {
                    keys.set(HALF, scales + 2L * (b * TILE + j), scratch.block.get(HALF, 34L * b));
                    for (int i = 0; i < 32; i++) {
                        keys.set(ValueLayout.JAVA_BYTE, tile + (long) (32 * b + i) * TILE + j,
                                scratch.block.get(ValueLayout.JAVA_BYTE, 34L * b + 2 + i));
                    }
                }
            }
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /** Writes {@code headDim} floats as the value row of {@code (layer, head, position)}. */
    void storeValue(int layer, int head, int position, float[] src, int srcOffset, StoreScratch scratch) {
        long at = valueOffset(layer, head, position);
        int n = spec.headDim();
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(src, srcOffset, values, FLOAT, at, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    scratch.halves[i] = Fp16.fromFloat(src[srcOffset + i]);
                }
                MemorySegment.copy(scratch.halves, 0, values, HALF, at, n);
            }
            case Q8_0 -> q8.quantize(src, srcOffset, values, at, n);
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /**
     * A heap buffer that {@link #loadValues} decodes rows into, with a view of it as a segment, made once.
     *
     * <p>F16 and Q8_0 rows are decoded straight from the cache ({@link Halves#widen}, byte lanes). F32 rows are copied
     * out of the cache segment by segment ({@code MemorySegment.copy} between two segments), not into an array: the
     * array form is the one GGUF parsing and weight packing use on the file's mapping, and the JIT, which speculates
     * on the segment's class inside that shared JDK method, then met the cache's other class inside the attention
     * kernel it had compiled. Measured on a cold 5-token prompt of a 1B model (JFR): the attention kernel deoptimized
     * 17 times and was compiled by C2 eight times (860 ms of a two-core machine); copied this way, once and three
     * times.
     */
    static final class Rows {
        /** The decoded rows, {@code [row][headDim]}. */
        final float[] values;
        private final MemorySegment valuesView;

        /** Room for {@code rows} rows of {@code headDim}. */
        Rows(int rows, int headDim) {
            this.values = new float[rows * headDim];
            this.valuesView = MemorySegment.ofArray(values);
        }
    }

    /**
     * Decodes {@code count} consecutive value rows of one head, from {@code position}, into
     * {@code into.values[0 .. count × headDim)}, which must have room for them.
     */
    void loadValues(int layer, int head, int position, int count, Rows into) {
        long at = valueOffset(layer, head, position);
        int n = count * spec.headDim();
        float[] dst = into.values;
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(values, at, into.valuesView, 0, 4L * n);
            case F16 -> Halves.widen(values, at, dst, 0, n);
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long o = at + 34L * b;
                    scaleBlock(values, o + 2, Fp16.toFloat(values.get(HALF, o)), dst, b * 32);
                }
            }
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /**
     * A heap buffer that {@link #loadKeyTile} decodes one tile of keys into, {@code [d][j]}, with a view of it as a
     * segment (F32, copied as {@link Rows} explains) and room for a Q8_0 tile's block scales, made once.
     */
    static final class KeyTile {
        /** The tile's keys, {@code keys[d·TILE + j]} the dimension {@code d} of position {@code j}. */
        final float[] keys;
        private final MemorySegment keysView;
        /** A Q8_0 tile's block scales, {@code [d / 32][j]}. */
        private final float[] scales;

        /** Room for a tile of keys of {@code headDim}. */
        KeyTile(int headDim) {
            this.keys = new float[headDim * TILE];
            this.keysView = MemorySegment.ofArray(keys);
            this.scales = new float[headDim / 32 * TILE];
        }
    }

    /**
     * Decodes the key tile of {@code (layer, head)} that starts at position {@code tileStart} (a multiple of
     * {@code TILE}) into {@code into.keys[d·TILE + j]} = the key of position {@code tileStart + j}; positions past
     * the last stored one hold whatever the cache holds there (zeros, or keys of an earlier, longer sequence).
     */
    void loadKeyTile(int layer, int head, int tileStart, KeyTile into) {
        long at = keyTileOffset(layer, head, tileStart);
        int hd = spec.headDim();
        int n = TILE * hd;
        float[] keysT = into.keys;
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(keys, at, into.keysView, 0, 4L * n);
            case F16 -> Halves.widen(keys, at, keysT, 0, n);
            case Q8_0 -> {
                float[] scales = into.scales;
                Halves.widen(keys, at + n, scales, 0, hd / 32 * TILE);
                for (int d = 0; d < hd; d++) {
                    scaleQuants(keys, at + (long) d * TILE, scales, d / 32 * TILE, keysT, d * TILE);
                }
            }
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /** {@code dst[dstAt + j] = quant j × scales[scalesAt + j]} for the {@code TILE} quants of one Q8_0 key tile row. */
    private static void scaleQuants(MemorySegment quants, long at, float[] scales, int scalesAt, float[] dst,
            int dstAt) {
        quants = NativeSegments.of(quants);
        if (!VECTOR_DEQUANT) {
            for (int j = 0; j < TILE; j++) {
                dst[dstAt + j] = quants.get(ValueLayout.JAVA_BYTE, at + j) * scales[scalesAt + j];
            }
            return;
        }
        for (int j = 0; j < TILE; j += FLOATS.length()) {
            ((FloatVector) ByteVector.fromMemorySegment(QUANTS, quants, at + j, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, scales, scalesAt + j)).intoArray(dst, dstAt + j);
        }
    }

    /** {@code dst[dstAt + i] = quant i × d} for the 32 quants of one Q8_0 block. */
    private static void scaleBlock(MemorySegment quants, long at, float d, float[] dst, int dstAt) {
        quants = NativeSegments.of(quants);
        if (!VECTOR_DEQUANT) {
            for (int i = 0; i < 32; i++) {
                dst[dstAt + i] = quants.get(ValueLayout.JAVA_BYTE, at + i) * d;
            }
            return;
        }
        FloatVector scale = FloatVector.broadcast(FLOATS, d);
        for (int i = 0; i < 32; i += FLOATS.length()) {
            ((FloatVector) ByteVector.fromMemorySegment(QUANTS, quants, at + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, FLOATS, 0)).mul(scale).intoArray(dst, dstAt + i);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.close();
        }
    }
}
