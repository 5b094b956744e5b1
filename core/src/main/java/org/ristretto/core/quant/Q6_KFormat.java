package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#Q6_K}: 256 values as {@code uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d}. Sub-block
 * {@code j} (16 values) has scale {@code d * scales[j]}. Value {@code i = 128c + 32k + l} has its low four bits in
 * nibble {@code k / 2} of {@code ql[64c + 32(k % 2) + l]} and its top two bits in bits {@code 2k} of
 * {@code qh[32c + l]}; it decodes to {@code scale * (q - 32)}.
 */
public final class Q6_KFormat extends BlockFormat {
    private static final int QL = 0;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KFormat() {
        super(GgmlType.Q6_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOffset) {
        float d = BlockIo.f16(src, offset + D);
        for (int i = 0; i < 256; i++) {
            int c = i / 128;
            int k = i % 128 / 32;
            int l = i % 32;
            int low = BlockIo.u8(src, offset + QL + 64 * c + 32 * (k % 2) + l) >>> (4 * (k / 2)) & 0x0f;
            int high = BlockIo.u8(src, offset + QH + 32 * c + l) >>> (2 * k) & 3;
            int scale = BlockIo.i8(src, offset + SCALES + i / 16);
            dst[dstOffset + i] = d * scale * ((low | high << 4) - 32);
        }
    }

    @Override
    void quantizeBlock(float[] x, int xo, MemorySegment dst, long offset) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = ScaleSearch.makeQxQuants(16, 32, x, xo + 16 * j, levels, 16 * j);
            float abs = Math.abs(scales[j]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[j];
            }
        }
        if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
            BlockIo.clear(dst, offset, GgmlType.Q6_K.typeSize());
            return;
        }
        float iscale = -128.0f / maxScale;
        BlockIo.putF16(dst, offset + D, 1 / iscale);
        for (int j = 0; j < 16; j++) {
            BlockIo.put8(dst, offset + SCALES + j, Math.min(127, ScaleSearch.nearestInt(iscale * scales[j])));
        }
        // Requantize against the stored (rounded) scales, as ggml does.
        float d = BlockIo.f16(dst, offset + D);
        for (int j = 0; j < 16; j++) {
            float dl = d * BlockIo.i8(dst, offset + SCALES + j);
            if (dl == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = ScaleSearch.nearestInt(x[xo + 16 * j + ii] / dl);
                levels[16 * j + ii] = ScaleSearch.clamp(l, -32, 31) + 32;
            }
        }
        for (int c = 0; c < 2; c++) {
            for (int l = 0; l < 32; l++) {
                int b = 128 * c + l;
                int q1 = levels[b];
                int q2 = levels[b + 32];
                int q3 = levels[b + 64];
                int q4 = levels[b + 96];
                BlockIo.put8(dst, offset + QL + 64 * c + l, (q1 & 0x0f) | (q3 & 0x0f) << 4);
                BlockIo.put8(dst, offset + QL + 64 * c + 32 + l, (q2 & 0x0f) | (q4 & 0x0f) << 4);
                BlockIo.put8(dst, offset + QH + 32 * c + l,
                        q1 >>> 4 | (q2 >>> 4) << 2 | (q3 >>> 4) << 4 | (q4 >>> 4) << 6);
            }
        }
    }
}
