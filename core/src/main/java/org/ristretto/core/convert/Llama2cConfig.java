package org.ristretto.core.convert;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The header of a llama2.c version-0 checkpoint ({@code run.c}'s {@code Config}): seven little-endian int32 values.
 * A negative vocabulary size is llama2.c's flag for a classifier stored apart from the token embedding.
 *
 * @param dim              the model width
 * @param hiddenDim        the feed-forward width
 * @param layers           the number of transformer blocks
 * @param heads            the number of query heads
 * @param kvHeads          the number of key/value heads (fewer than {@code heads} for grouped-query attention)
 * @param vocabSize        the vocabulary size (positive)
 * @param seqLen           the longest sequence the model was trained for
 * @param sharedClassifier whether the output classifier is the token embedding
 */
public record Llama2cConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
                            boolean sharedClassifier) {

    /** The header size in bytes. */
    public static final int HEADER_BYTES = 7 * Integer.BYTES;

    /** "ak42" read as a little-endian int: the magic of llama2.c's newer (version 1 and 2) export formats. */
    private static final int NEWER_EXPORT_MAGIC = 0x616b3432;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String[] FIELDS = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size",
        "seq_len"};

    /** The width of one attention head. */
    public int headSize() {
        return dim / heads;
    }

    /** The width of the key and value projections. */
    public int kvDim() {
        return headSize() * kvHeads;
    }

    /**
     * Reads and checks the header at the start of {@code content}.
     *
     * @param file names the file in errors
     * @throws Llama2cFormatException if the header is short, or a field is out of range or inconsistent
     */
    public static Llama2cConfig read(Path file, MemorySegment content) {
        if (content.byteSize() < HEADER_BYTES) {
            throw new Llama2cFormatException(file, 0, "the file has " + content.byteSize()
                    + " bytes but a llama2.c checkpoint header needs " + HEADER_BYTES);
        }
        int[] v = new int[FIELDS.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = content.get(INT, (long) i * Integer.BYTES);
        }
        if (v[0] == NEWER_EXPORT_MAGIC) {
            throw new Llama2cFormatException(file, 0, "magic \"ak42\" marks llama2.c's version 1/2 export format;"
                    + " only the legacy version-0 checkpoint is supported (export with --version 0)");
        }
        for (int i = 0; i < v.length; i++) {
            boolean signed = i == 5; // the sign of vocab_size is a flag
            if (v[i] == 0 || v[i] == Integer.MIN_VALUE || (v[i] < 0 && !signed)) {
                throw field(file, i, v[i], signed ? "a non-zero size (negative: unshared classifier)" : "a positive number");
            }
        }
        int vocab = v[5];
        int dim = v[0];
        int heads = v[3];
        int kvHeads = v[4];
        if (dim % heads != 0) {
            throw field(file, 3, heads, "a divisor of dim " + dim);
        }
        if (kvHeads > heads || heads % kvHeads != 0) {
            throw field(file, 4, kvHeads, "a divisor of n_heads " + heads);
        }
        if ((dim / heads) % 2 != 0) {
            throw field(file, 3, heads, "a head count that leaves an even head size for RoPE (dim " + dim
                    + " / n_heads " + heads + " is odd)");
        }
        return new Llama2cConfig(dim, v[1], v[2], heads, kvHeads, Math.abs(vocab), v[6], vocab > 0);
    }

    private static Llama2cFormatException field(Path file, int index, int value, String expected) {
        return new Llama2cFormatException(file, (long) index * Integer.BYTES,
                "header field " + FIELDS[index] + " is " + value + ", expected " + expected);
    }
}
