package org.ristretto.core.gguf;

import java.util.Objects;

/**
 * One typed metadata value. The Java type of {@code value} follows the GGUF type: {@code Byte} for UINT8/INT8,
 * {@code Short} for 16-bit, {@code Integer} for 32-bit, {@code Long} for 64-bit integers (unsigned ones keep their
 * bits), {@code Float}, {@code Double}, {@code Boolean}, {@code String} and {@link GgufArray}.
 *
 * @param type  the GGUF type
 * @param value the value, boxed as described above
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        Class<?> expected = switch (type) {
            case UINT8, INT8 -> Byte.class;
            case UINT16, INT16 -> Short.class;
            case UINT32, INT32 -> Integer.class;
            case UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (value.getClass() != expected) {
            throw new IllegalArgumentException(
                    "a " + type + " value must be a " + expected.getSimpleName() + ", not " + value.getClass());
        }
    }

    public static GgufValue ofString(String s) {
        return new GgufValue(GgufValueType.STRING, s);
    }

    public static GgufValue ofUInt32(int v) {
        return new GgufValue(GgufValueType.UINT32, v);
    }

    public static GgufValue ofInt32(int v) {
        return new GgufValue(GgufValueType.INT32, v);
    }

    public static GgufValue ofUInt64(long v) {
        return new GgufValue(GgufValueType.UINT64, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue ofArray(GgufArray a) {
        return new GgufValue(GgufValueType.ARRAY, a);
    }

    /** The value as a long if it is an integer of any width (unsigned widened without sign). */
    public long asLong() {
        return switch (type) {
            case UINT8 -> (Byte) value & 0xFFL;
            case INT8 -> (Byte) value;
            case UINT16 -> (Short) value & 0xFFFFL;
            case INT16 -> (Short) value;
            case UINT32 -> (Integer) value & 0xFFFFFFFFL;
            case INT32 -> (Integer) value;
            case UINT64, INT64 -> (Long) value;
            default -> throw new IllegalStateException(type + " is not an integer type");
        };
    }

    /** A rendering for people; arrays are shortened to their type, length and first items. */
    public String display() {
        return switch (type) {
            case STRING -> (String) value;
            case ARRAY -> ((GgufArray) value).summary(5);
            case UINT8, UINT16, UINT32, UINT64 -> type == GgufValueType.UINT64
                    ? Long.toUnsignedString((Long) value) : Long.toString(asLong());
            default -> value.toString();
        };
    }
}
