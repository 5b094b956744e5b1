package org.ristretto.core.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A GGUF metadata array. Its values are held in the tightest Java array for the element type: {@code byte[]} for
 * UINT8/INT8/BOOL (0 or 1), {@code short[]} for 16-bit, {@code int[]} for 32-bit, {@code long[]} for 64-bit integers,
 * {@code float[]}, {@code double[]}, {@code String[]}, and {@code GgufArray[]} for nested arrays. Unsigned values keep
 * their bits; {@link #getLong(int)} widens them correctly.
 *
 * @param elementType the type of every element
 * @param values      the Java array holding the elements
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public GgufArray {
        Objects.requireNonNull(elementType);
        Objects.requireNonNull(values);
        Class<?> expected = javaArrayClass(elementType);
        if (values.getClass() != expected) {
            throw new IllegalArgumentException("a " + elementType + " array needs a " + expected.getSimpleName()
                    + ", not a " + values.getClass().getSimpleName());
        }
    }

    static Class<?> javaArrayClass(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8, BOOL -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }

    /** A STRING array. */
    public static GgufArray ofStrings(String... values) {
        return new GgufArray(GgufValueType.STRING, values);
    }

    /** An INT32 array. */
    public static GgufArray ofInts(int... values) {
        return new GgufArray(GgufValueType.INT32, values);
    }

    /** A FLOAT32 array. */
    public static GgufArray ofFloats(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, values);
    }

    /** The number of elements. */
    public int length() {
        return java.lang.reflect.Array.getLength(values);
    }

    /** Element {@code i} as a long, for any integer element type (unsigned types widened without sign). */
    public long getLong(int i) {
        return switch (elementType) {
            case UINT8, BOOL -> ((byte[]) values)[i] & 0xFFL;
            case INT8 -> ((byte[]) values)[i];
            case UINT16 -> ((short[]) values)[i] & 0xFFFFL;
            case INT16 -> ((short[]) values)[i];
            case UINT32 -> ((int[]) values)[i] & 0xFFFFFFFFL;
            case INT32 -> ((int[]) values)[i];
            case UINT64, INT64 -> ((long[]) values)[i];
            default -> throw new IllegalStateException("a " + elementType + " array has no integer elements");
        };
    }

    /** Element {@code i} as a double, for any numeric element type. */
    public double getDouble(int i) {
        return switch (elementType) {
            case FLOAT32 -> ((float[]) values)[i];
            case FLOAT64 -> ((double[]) values)[i];
            default -> getLong(i);
        };
    }

    /** The elements of a STRING array. */
    public String[] strings() {
        requireType(GgufValueType.STRING);
        return (String[]) values;
    }

    /** The elements of a FLOAT32 array. */
    public float[] floats() {
        requireType(GgufValueType.FLOAT32);
        return (float[]) values;
    }

    /** Every element of an integer array, widened to int; fails if one does not fit. */
    public int[] toIntArray() {
        int[] out = new int[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(getLong(i));
        }
        return out;
    }

    private void requireType(GgufValueType t) {
        if (elementType != t) {
            throw new IllegalStateException("expected an array of " + t + " but it holds " + elementType);
        }
    }

    /** A short rendering: the type, the length and the first few elements. */
    public String summary(int maxItems) {
        StringBuilder sb = new StringBuilder("[").append(elementType).append(" x ").append(length()).append(": ");
        int n = Math.min(maxItems, length());
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(elementToString(i));
        }
        if (length() > n) {
            sb.append(", ...");
        }
        return sb.append(']').toString();
    }

    String elementToString(int i) {
        return switch (elementType) {
            case STRING -> '"' + strings()[i] + '"';
            case FLOAT32, FLOAT64 -> Double.toString(getDouble(i));
            case BOOL -> Boolean.toString(getLong(i) != 0);
            case ARRAY -> ((GgufArray[]) values)[i].summary(3);
            default -> Long.toString(getLong(i));
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        return summary(8);
    }
}
