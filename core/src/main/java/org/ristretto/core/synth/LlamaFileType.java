package org.ristretto.core.synth;

import java.util.Arrays;
import java.util.Locale;
import org.ristretto.core.quant.GgmlType;

/**
 * llama.cpp's file types ({@code enum llama_ftype}, stored as {@code general.file_type}) that Ristretto can write:
 * a default tensor type, and for the mixes (the {@code _S}/{@code _M}/{@code _L} suffixes) the rules in
 * {@link TensorTypeChooser} that raise some tensors above it.
 *
 * <p>Left out: the IQ types (no reference quantizer here), {@code Q2_K_S} (llama.cpp requires an importance matrix
 * for it), and the ternary and MXFP4 types.
 */
public enum LlamaFileType {
    ALL_F32(0, GgmlType.F32),
    MOSTLY_F16(1, GgmlType.F16),
    MOSTLY_Q4_0(2, GgmlType.Q4_0),
    MOSTLY_Q4_1(3, GgmlType.Q4_1),
    MOSTLY_Q8_0(7, GgmlType.Q8_0),
    MOSTLY_Q5_0(8, GgmlType.Q5_0),
    MOSTLY_Q5_1(9, GgmlType.Q5_1),
    MOSTLY_Q2_K(10, GgmlType.Q2_K),
    MOSTLY_Q3_K_S(11, GgmlType.Q3_K),
    MOSTLY_Q3_K_M(12, GgmlType.Q3_K),
    MOSTLY_Q3_K_L(13, GgmlType.Q3_K),
    MOSTLY_Q4_K_S(14, GgmlType.Q4_K),
    MOSTLY_Q4_K_M(15, GgmlType.Q4_K),
    MOSTLY_Q5_K_S(16, GgmlType.Q5_K),
    MOSTLY_Q5_K_M(17, GgmlType.Q5_K),
    MOSTLY_Q6_K(18, GgmlType.Q6_K),
    MOSTLY_BF16(32, GgmlType.BF16);

    private final int id;
    private final GgmlType defaultType;

    LlamaFileType(int id, GgmlType defaultType) {
        this.id = id;
        this.defaultType = defaultType;
    }

    /** The value of {@code general.file_type}. */
    public int id() {
        return id;
    }

    /** The type of every weight no rule raises ({@code llama_ftype_get_default_type}). */
    public GgmlType defaultType() {
        return defaultType;
    }

    /** The name llama-quantize takes: {@code q4_k_m}, {@code q8_0}, {@code f16}, {@code f32}, ... */
    public String cliName() {
        return switch (this) {
            case ALL_F32 -> "f32";
            default -> name().substring("MOSTLY_".length()).toLowerCase(Locale.ROOT);
        };
    }

    /**
     * The file type named like llama-quantize's argument ({@code q4_k_m}, {@code Q8_0}, {@code f16}), ignoring case.
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static LlamaFileType fromCliName(String name) {
        for (LlamaFileType t : values()) {
            if (t.cliName().equalsIgnoreCase(name.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown type '" + name + "'; known: "
                + String.join(", ", Arrays.stream(values()).map(LlamaFileType::cliName).toList()));
    }
}
