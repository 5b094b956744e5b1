package org.ristretto.core.backend;

/** The operations of {@link Backend}, for {@link Backend#supports(Op, org.ristretto.core.quant.GgmlType)}. */
public enum Op {
    GET_ROWS, RMS_NORM, MATMUL, MATMUL_SWIGLU, ADD, ROPE, STORE_KV, ATTENTION, ARGMAX
}
