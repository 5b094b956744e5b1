package org.ristretto.core.quant;

/**
 * The registry of scalar reference formats: one immutable, stateless {@link QuantFormat} per type that Ristretto can
 * compute with ({@link GgmlType#isSupported()}).
 */
public final class QuantFormats {
    static final QuantFormat F32 = new F32Format();
    static final QuantFormat F16 = new F16Format();
    static final QuantFormat BF16 = new Bf16Format();
    static final QuantFormat Q4_0 = new Q4_0Format();
    static final QuantFormat Q4_1 = new Q4_1Format();
    static final QuantFormat Q5_0 = new Q5_0Format();
    static final QuantFormat Q5_1 = new Q5_1Format();
    static final QuantFormat Q8_0 = new Q8_0Format();
    static final QuantFormat Q2_K = new Q2_KFormat();
    static final QuantFormat Q3_K = new Q3_KFormat();
    static final QuantFormat Q4_K = new Q4_KFormat();
    static final QuantFormat Q5_K = new Q5_KFormat();
    static final QuantFormat Q6_K = new Q6_KFormat();
    static final QuantFormat Q8_K = new Q8_KFormat();
    static final QuantFormat IQ4_NL = new Iq4_NlFormat();
    static final QuantFormat IQ4_XS = new Iq4_XsFormat();

    private QuantFormats() {}

    /**
     * The reference format of {@code type}.
     *
     * @throws UnsupportedOperationException naming the type when Ristretto has no format for it
     */
    public static QuantFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q4_0 -> Q4_0;
            case Q4_1 -> Q4_1;
            case Q5_0 -> Q5_0;
            case Q5_1 -> Q5_1;
            case Q8_0 -> Q8_0;
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K;
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
            case Q8_K -> Q8_K;
            case IQ4_NL -> IQ4_NL;
            case IQ4_XS -> IQ4_XS;
            default -> throw new UnsupportedOperationException("ggml type " + type.ggmlName() + " (id " + type.id()
                    + ") has no quantization format in Ristretto");
        };
    }
}
