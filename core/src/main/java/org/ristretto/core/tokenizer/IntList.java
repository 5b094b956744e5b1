package org.ristretto.core.tokenizer;

import java.util.Arrays;

/** A growable list of ints without boxing, for token ids and offsets. */
final class IntList {
    private int[] data;
    private int size;

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == data.length) {
            data = Arrays.copyOf(data, data.length * 2);
        }
        data[size++] = v;
    }

    void addAll(int[] values) {
        if (size + values.length > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, size + values.length));
        }
        System.arraycopy(values, 0, data, size, values.length);
        size += values.length;
    }

    int get(int i) {
        return data[i];
    }

    int size() {
        return size;
    }

    /** The backing array (at least {@link #size()} long); valid until the next add. */
    int[] array() {
        return data;
    }

    int[] toArray() {
        return Arrays.copyOf(data, size);
    }
}
