package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.Halves;

/**
 * A KV cache in native memory, laid out {@code [layer][kvHead][position][headDim]} so that the keys (or values) of one
 * head over consecutive positions are contiguous: attention reads a tile of positions as one block of memory.
 * Rows are stored as F32, F16 (round to nearest even, as ggml) or Q8_0 (ggml's reference quantizer, one row of
 * {@code headDim} in {@code headDim / 32} blocks).
 *
 * <p>F32 and F16 keys are stored by tile instead ({@link #keysByTile}): {@code [layer][kvHead][tile][headDim][j]}
 * for position {@code tile·TILE + j}, the transposed tile that attention scores many keys from at once, so that no
 * attention call transposes it. Transposing each tile took about a third of one-token attention at depth 4096 (JFR,
 * 1B model shapes), scoring key by key instead about as much again in horizontal sums.
 */
final class CpuKvCache implements KvCache {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final KvCacheSpec spec;
    private final MappedMemory memory;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final long rowBytes;
    private final boolean keysByTile;
    /** Tiles of positions per head: the context rounded up to whole tiles. */
    private final long tilesPerHead;
    private final QuantFormat q8;
    private boolean closed;

    CpuKvCache(KvCacheSpec spec) {
        this.spec = spec;
        this.rowBytes = spec.type().byteSize(spec.headDim());
        // Mapped, not allocated from an arena: the cache reads as zeros without being zeroed up front, and a short
        // context touches only its first pages (MappedMemory).
        this.keysByTile = spec.type() == GgmlType.F32 || spec.type() == GgmlType.F16;
        this.tilesPerHead = (spec.contextLength() + FlashAttention.TILE - 1) / FlashAttention.TILE;
        long keyBytes = keysByTile
                ? (long) spec.layers() * spec.kvHeads() * tilesPerHead * FlashAttention.TILE * rowBytes
                : spec.bytes() / 2;
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

    /** Byte offset of the row of {@code (layer, head, position)}. */
    long rowOffset(int layer, int head, int position) {
        return (((long) layer * spec.kvHeads() + head) * spec.contextLength() + position) * rowBytes;
    }

    /** Whether keys are stored by transposed tile ({@link #loadKeyTile}) rather than by row ({@link #load}). */
    boolean keysByTile() {
        return keysByTile;
    }

    /** Byte offset of element {@code [d][j]} of the key tile that holds {@code position}. */
    private long tiledKeyOffset(int layer, int head, int position, int d) {
        long tile = ((long) layer * spec.kvHeads() + head) * tilesPerHead + position / FlashAttention.TILE;
        long element = (tile * spec.headDim() + d) * FlashAttention.TILE + position % FlashAttention.TILE;
        return element * spec.type().byteSize(1);
    }

    /** Writes {@code headDim} floats as the key (or value) row of {@code (layer, head, position)}. */
    void store(boolean key, int layer, int head, int position, float[] src, int srcOffset, short[] halfScratch) {
        if (key && keysByTile) {
            for (int d = 0; d < spec.headDim(); d++) {
                long at = tiledKeyOffset(layer, head, position, d);
                if (spec.type() == GgmlType.F16) {
                    keys.set(HALF, at, Fp16.fromFloat(src[srcOffset + d]));
                } else {
                    keys.set(FLOAT, at, src[srcOffset + d]);
                }
            }
            return;
        }
        MemorySegment seg = key ? keys : values;
        long at = rowOffset(layer, head, position);
        int n = spec.headDim();
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(src, srcOffset, seg, FLOAT, at, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    halfScratch[i] = Fp16.fromFloat(src[srcOffset + i]);
                }
                MemorySegment.copy(halfScratch, 0, seg, HALF, at, n);
            }
            case Q8_0 -> q8.quantize(src, srcOffset, seg, at, n);
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /**
     * Heap buffers that {@link #load} decodes rows into, with views of them as segments, made once.
     *
     * <p>F16 rows are widened straight from the cache ({@link Halves#widen}). F32 and Q8_0 rows are copied out of
     * the cache segment by segment ({@code MemorySegment.copy} between two segments), not into an array: the array form is the one GGUF parsing and weight packing use on the file's mapping, and
     * the JIT, which speculates on the segment's class inside that shared JDK method, then met the cache's other
     * class inside the attention kernel it had compiled. Measured on a cold 5-token prompt of a 1B model (JFR): the
     * attention kernel deoptimized 17 times and was compiled by C2 eight times (860 ms of a two-core machine); copied
     * this way, once and three times.
     */
    static final class Rows {
        /** The decoded rows, {@code [row][headDim]}. */
        final float[] values;
        private final byte[] raw;
        private final MemorySegment valuesView;
        private final MemorySegment rawView;

        /** Room for {@code rows} rows of {@code headDim} (a multiple of 32 where the cache is Q8_0). */
        Rows(int rows, int headDim) {
            int n = rows * headDim;
            this.values = new float[n];
            this.raw = new byte[(n + 31) / 32 * 34];
            this.valuesView = MemorySegment.ofArray(values);
            this.rawView = MemorySegment.ofArray(raw);
        }
    }

    /**
     * Decodes {@code count} consecutive value rows of one head (or key rows, where keys are not stored by tile), from
     * {@code position}, into {@code into.values[0 .. count × headDim)}, which must have room for them.
     */
    void load(boolean key, int layer, int head, int position, int count, Rows into) {
        if (key && keysByTile) {
            throw new IllegalStateException("this cache's keys are stored by tile: loadKeyTile reads them");
        }
        MemorySegment seg = key ? keys : values;
        long at = rowOffset(layer, head, position);
        int n = count * spec.headDim();
        float[] dst = into.values;
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(seg, at, into.valuesView, 0, 4L * n);
            case F16 -> Halves.widen(seg, at, dst, 0, n);
            case Q8_0 -> {
                int blocks = n / 32;
                MemorySegment.copy(seg, at, into.rawView, 0, 34L * blocks);
                byte[] raw = into.raw;
                for (int b = 0; b < blocks; b++) {
                    int o = b * 34;
                    float d = Fp16.toFloat((short) ((raw[o] & 0xff) | raw[o + 1] << 8));
                    int base = b * 32;
                    for (int j = 0; j < 32; j++) {
                        dst[base + j] = raw[o + 2 + j] * d;
                    }
                }
            }
            default -> throw new IllegalStateException("unexpected cache type " + spec.type());
        }
    }

    /**
     * Decodes the key tile of {@code (layer, head)} that starts at position {@code tileStart} (a multiple of
     * {@code TILE}) into {@code keysT[d·TILE + j]} = the key of position {@code tileStart + j}; positions past the
     * last stored one hold whatever the cache holds there (zeros, or keys of an earlier, longer sequence).
     */
    void loadKeyTile(int layer, int head, int tileStart, float[] keysT) {
        long at = tiledKeyOffset(layer, head, tileStart, 0);
        int n = FlashAttention.TILE * spec.headDim();
        if (spec.type() == GgmlType.F16) {
            Halves.widen(keys, at, keysT, 0, n);
        } else {
            MemorySegment.copy(keys, at, MemorySegment.ofArray(keysT), 0, 4L * n);
        }
    }

    /** Bytes per stored row of one head. */
    long rowBytes() {
        return rowBytes;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.close();
        }
    }
}
