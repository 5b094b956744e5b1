package org.ristretto.core.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. A required key that is missing, or whose
 * value has another type, is a {@link GgufMetadataException} naming the source and the key.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    /**
     * @param source names where the metadata came from (a file path), used in error messages
     * @param values the values in file order; copied
     */
    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Every key/value pair in file order. */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    /** The keys in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The raw typed value, if present. */
    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The value, which must exist. */
    public GgufValue require(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new GgufMetadataException(source + ": required metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) {
        return (String) requireType(key, GgufValueType.STRING).value();
    }

    public Optional<String> findString(String key) {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    /** An integer value of any width. */
    public long getLong(String key) {
        GgufValue v = require(key);
        if (!v.type().isInteger()) {
            throw wrongType(key, "an integer", v.type());
        }
        return v.asLong();
    }

    public Optional<Long> findLong(String key) {
        return contains(key) ? Optional.of(getLong(key)) : Optional.empty();
    }

    /** An integer value that must fit in an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufMetadataException(source + ": metadata key '" + key + "' = " + v + " does not fit in int");
        }
        return (int) v;
    }

    public int getInt(String key, int defaultValue) {
        return contains(key) ? getInt(key) : defaultValue;
    }

    /** A floating-point value (FLOAT32 or FLOAT64; integers are accepted too, as some writers store them so). */
    public double getDouble(String key) {
        GgufValue v = require(key);
        return switch (v.type()) {
            case FLOAT32 -> (Float) v.value();
            case FLOAT64 -> (Double) v.value();
            default -> {
                if (v.type().isInteger()) {
                    yield v.asLong();
                }
                throw wrongType(key, "a number", v.type());
            }
        };
    }

    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float defaultValue) {
        return contains(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBool(String key) {
        return (Boolean) requireType(key, GgufValueType.BOOL).value();
    }

    public boolean getBool(String key, boolean defaultValue) {
        return contains(key) ? getBool(key) : defaultValue;
    }

    public GgufArray getArray(String key) {
        return (GgufArray) requireType(key, GgufValueType.ARRAY).value();
    }

    public Optional<GgufArray> findArray(String key) {
        return contains(key) ? Optional.of(getArray(key)) : Optional.empty();
    }

    /** A STRING array. */
    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) {
            throw wrongType(key, "an array of STRING", a.elementType());
        }
        return a.strings();
    }

    private GgufValue requireType(String key, GgufValueType type) {
        GgufValue v = require(key);
        if (v.type() != type) {
            throw wrongType(key, type.toString(), v.type());
        }
        return v;
    }

    private GgufMetadataException wrongType(String key, String expected, GgufValueType actual) {
        return new GgufMetadataException(
                source + ": metadata key '" + key + "' should be " + expected + " but is " + actual);
    }

    /** The number of entries. */
    public int size() {
        return values.size();
    }
}
