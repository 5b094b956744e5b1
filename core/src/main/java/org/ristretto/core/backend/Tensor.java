package org.ristretto.core.backend;

import org.ristretto.core.quant.GgmlType;

/**
 * A two-dimensional tensor living in memory that one {@link Backend} owns: a weight matrix in its GGUF block type, an
 * F32 activation matrix, or a row view of one.
 *
 * <p>Shapes follow ggml: {@link #columns()} is the contiguous dimension (ne0), {@link #rows()} the outer one (ne1). A
 * vector is one row. Batches of tokens are rows: activations for {@code n} tokens of width {@code d} are
 * {@code d} columns by {@code n} rows. Heads are consecutive groups of columns.
 *
 * <p>Only the backend that made a tensor may use it; moving data between backends goes through the host with
 * {@link Backend#write} and {@link Backend#read}.
 */
public interface Tensor {

    /** A name for messages, e.g. "blk.3.attn_q.weight" or "act.ffn_out". */
    String name();

    /** The element type: a GGUF block type for weights, F32 for activations. */
    GgmlType type();

    /** Elements per row (ne0). */
    int columns();

    /** Number of rows (ne1). */
    int rows();

    /** The backend that owns this tensor. */
    Backend backend();
}
