package org.ristretto.core.quant;

/** The 16 non-linear levels shared by IQ4_NL and IQ4_XS (ggml's {@code kvalues_iq4nl}). */
final class Iq4Nl {
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private Iq4Nl() {}

    /** The level that a 4-bit code stands for. */
    static int level(int code) {
        return LEVELS[code];
    }

    static UnsupportedOperationException noQuantizer(GgmlType type) {
        return new UnsupportedOperationException("quantizing to " + type.ggmlName()
                + " is not supported: Ristretto only reads it (it has no reference quantizer for the IQ types)");
    }
}
