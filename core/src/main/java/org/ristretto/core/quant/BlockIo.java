package org.ristretto.core.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian, unaligned reads and writes of the fields that ggml blocks are made of. */
final class BlockIo {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BlockIo() {}

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xff;
    }

    static int i8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset);
    }

    static void put8(MemorySegment s, long offset, int value) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    static short i16(MemorySegment s, long offset) {
        return s.get(I16, offset);
    }

    static void put16(MemorySegment s, long offset, int value) {
        s.set(I16, offset, (short) value);
    }

    static int u32(MemorySegment s, long offset) {
        return s.get(I32, offset);
    }

    static void put32(MemorySegment s, long offset, int value) {
        s.set(I32, offset, value);
    }

    static float f16(MemorySegment s, long offset) {
        return Fp16.toFloat(s.get(I16, offset));
    }

    static void putF16(MemorySegment s, long offset, float value) {
        s.set(I16, offset, Fp16.fromFloat(value));
    }

    static float f32(MemorySegment s, long offset) {
        return s.get(F32, offset);
    }

    static void putF32(MemorySegment s, long offset, float value) {
        s.set(F32, offset, value);
    }

    /** Sets {@code length} bytes from {@code offset} to zero. */
    static void clear(MemorySegment s, long offset, long length) {
        s.asSlice(offset, length).fill((byte) 0);
    }
}
