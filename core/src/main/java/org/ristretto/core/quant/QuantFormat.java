package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * The plain scalar reference for one ggml element type: how its blocks turn into floats and back.
 *
 * <p>These references are deliberately simple; every optimized kernel is tested against them. Offsets into
 * segments are in bytes, offsets into arrays in elements, and {@code n} is always a multiple of the type's block size.
 */
public interface QuantFormat {

    /** The type this format encodes. */
    GgmlType type();

    /** Dequantizes {@code n} values whose blocks start at byte {@code srcOffset} of {@code src}. */
    void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    /**
     * Quantizes {@code n} values with ggml's reference round-to-nearest quantizer ({@code quantize_row_*_ref}),
     * writing blocks at byte {@code dstOffset} of {@code dst}.
     *
     * @throws UnsupportedOperationException for types that have no reference quantizer here (the IQ types)
     */
    void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

    /** The dot product of {@code n} quantized values with {@code x}, by dequantizing block by block. */
    default float dot(MemorySegment row, long rowOffset, float[] x, int xOffset, int n) {
        GgmlType t = type();
        float[] tmp = new float[t.blockSize()];
        double sum = 0;
        for (int b = 0; b < n / t.blockSize(); b++) {
            dequantize(row, rowOffset + (long) b * t.typeSize(), tmp, 0, tmp.length);
            for (int i = 0; i < tmp.length; i++) {
                sum += (double) tmp[i] * x[xOffset + b * t.blockSize() + i];
            }
        }
        return (float) sum;
    }
}
