package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.quant.Fp16;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;

/**
 * A KV cache in native memory, laid out {@code [layer][kvHead][position][headDim]} so that the keys (or values) of one
 * head over consecutive positions are contiguous: attention reads a tile of positions as one block of memory.
 * Rows are stored as F32, F16 (round to nearest even, as ggml) or Q8_0 (ggml's reference quantizer, one row of
 * {@code headDim} in {@code headDim / 32} blocks).
 */
final class CpuKvCache implements KvCache {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final KvCacheSpec spec;
    private final MappedMemory memory;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final long rowBytes;
    private final QuantFormat q8;
    private boolean closed;

    CpuKvCache(KvCacheSpec spec) {
        this.spec = spec;
        this.rowBytes = spec.type().byteSize(spec.headDim());
        // Mapped, not allocated from an arena: the cache reads as zeros without being zeroed up front, and a short
        // context touches only its first pages (MappedMemory).
        this.memory = new MappedMemory(false);
        try {
            this.keys = memory.allocate(spec.bytes() / 2, 64);
            this.values = memory.allocate(spec.bytes() / 2, 64);
        } catch (OutOfMemoryError e) {
            memory.close();
            throw new org.ristretto.core.backend.BackendException("the KV cache needs " + spec.bytes()
                    + " bytes of native memory, which could not be allocated", e);
        }
        this.q8 = QuantFormats.of(org.ristretto.core.quant.GgmlType.Q8_0);
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    /** Byte offset of the row of {@code (layer, head, position)}. */
    long rowOffset(int layer, int head, int position) {
        return (((long) layer * spec.kvHeads() + head) * spec.contextLength() + position) * rowBytes;
    }

    /** Writes {@code headDim} floats as the key (or value) row of {@code (layer, head, position)}. */
    void store(boolean key, int layer, int head, int position, float[] src, int srcOffset, short[] halfScratch) {
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
     * Decodes {@code count} consecutive key (or value) rows of one head, from {@code position}, into
     * {@code dst[0 .. count × headDim)}. {@code raw} must hold {@code count × rowBytes} bytes.
     */
    void load(boolean key, int layer, int head, int position, int count, float[] dst, short[] halfScratch,
              byte[] raw) {
        MemorySegment seg = key ? keys : values;
        long at = rowOffset(layer, head, position);
        int n = count * spec.headDim();
        switch (spec.type()) {
            case F32 -> MemorySegment.copy(seg, FLOAT, at, dst, 0, n);
            case F16 -> {
                MemorySegment.copy(seg, HALF, at, halfScratch, 0, n);
                for (int i = 0; i < n; i++) {
                    dst[i] = Float.float16ToFloat(halfScratch[i]);
                }
            }
            case Q8_0 -> {
                int blocks = n / 32;
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, at, raw, 0, blocks * 34);
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
