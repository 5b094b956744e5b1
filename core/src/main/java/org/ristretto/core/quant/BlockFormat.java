package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The common part of every {@link QuantFormat}: argument checks and the walk over blocks. Subclasses only say how one
 * block is decoded and encoded; ggml's reference quantizers treat every block independently, so a row is just its
 * blocks one after another.
 */
abstract class BlockFormat implements QuantFormat {
    private final GgmlType type;

    BlockFormat(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int blocks = blocks(n);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        checkBytes(src, srcOffset, blocks, "source");
        for (int b = 0; b < blocks; b++) {
            dequantizeBlock(src, srcOffset + (long) b * type.typeSize(), dst, dstOffset + b * type.blockSize());
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        int blocks = blocks(n);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        checkBytes(dst, dstOffset, blocks, "destination");
        for (int b = 0; b < blocks; b++) {
            quantizeBlock(src, srcOffset + b * type.blockSize(), dst, dstOffset + (long) b * type.typeSize());
        }
    }

    /** Decodes the block at byte {@code offset} of {@code src} into {@code blockSize} floats from {@code dstOffset}. */
    abstract void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset);

    /** Encodes {@code blockSize} floats from {@code srcOffset} into the block at byte {@code offset} of {@code dst}. */
    abstract void quantizeBlock(float[] src, int srcOffset, MemorySegment dst, long offset);

    private int blocks(int n) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": " + n + " values is not a whole number of blocks of "
                    + type.blockSize());
        }
        return n / type.blockSize();
    }

    private void checkBytes(MemorySegment s, long offset, int blocks, String role) {
        long bytes = (long) blocks * type.typeSize();
        if (offset < 0 || offset > s.byteSize() - bytes) {
            throw new IndexOutOfBoundsException(type + ": " + blocks + " blocks need bytes [" + offset + ", "
                    + (offset + bytes) + ") of the " + role + ", which has " + s.byteSize());
        }
    }
}
