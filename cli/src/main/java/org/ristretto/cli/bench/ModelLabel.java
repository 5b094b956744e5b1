package org.ristretto.cli.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;

/**
 * The one-line model description of a benchmark row, shaped like llama.cpp's {@code llama_model_desc}
 * ({@code "llama 1B Q4_K - Medium"}): architecture, a size class and the file type by llama.cpp's names.
 *
 * <p>The size class differs from llama.cpp's by design: llama.cpp looks up a per-architecture table of layer counts
 * and prints {@code ?B} for shapes it does not know; here it is the parameter count rounded ({@code 1B}, {@code 0.6B},
 * {@code 36M}, {@code 260K}), which says something for every file.
 */
final class ModelLabel {
    /** llama.cpp's {@code llama_ftype_name} for each {@code general.file_type} value. */
    private static final Map<Long, String> FILE_TYPE_NAMES = Map.ofEntries(
            Map.entry(0L, "all F32"), Map.entry(1L, "F16"), Map.entry(2L, "Q4_0"), Map.entry(3L, "Q4_1"),
            Map.entry(7L, "Q8_0"), Map.entry(8L, "Q5_0"), Map.entry(9L, "Q5_1"), Map.entry(10L, "Q2_K - Medium"),
            Map.entry(11L, "Q3_K - Small"), Map.entry(12L, "Q3_K - Medium"), Map.entry(13L, "Q3_K - Large"),
            Map.entry(14L, "Q4_K - Small"), Map.entry(15L, "Q4_K - Medium"), Map.entry(16L, "Q5_K - Small"),
            Map.entry(17L, "Q5_K - Medium"), Map.entry(18L, "Q6_K"), Map.entry(19L, "IQ2_XXS - 2.0625 bpw"),
            Map.entry(20L, "IQ2_XS - 2.3125 bpw"), Map.entry(21L, "Q2_K - Small"), Map.entry(22L, "IQ3_XS - 3.3 bpw"),
            Map.entry(23L, "IQ3_XXS - 3.0625 bpw"), Map.entry(24L, "IQ1_S - 1.5625 bpw"),
            Map.entry(25L, "IQ4_NL - 4.5 bpw"), Map.entry(26L, "IQ3_S - 3.4375 bpw"),
            Map.entry(27L, "IQ3_S mix - 3.66 bpw"), Map.entry(28L, "IQ2_S - 2.5 bpw"),
            Map.entry(29L, "IQ2_M - 2.7 bpw"), Map.entry(30L, "IQ4_XS - 4.25 bpw"), Map.entry(31L, "IQ1_M - 1.75 bpw"),
            Map.entry(32L, "BF16"), Map.entry(36L, "TQ1_0 - 1.69 bpw ternary"),
            Map.entry(37L, "TQ2_0 - 2.06 bpw ternary"));

    /** The file type llama.cpp guesses from the most common tensor type (K-quants guess the medium mix). */
    private static final Map<GgmlType, Long> GUESSED_FILE_TYPES = Map.ofEntries(
            Map.entry(GgmlType.F32, 0L), Map.entry(GgmlType.F16, 1L), Map.entry(GgmlType.BF16, 32L),
            Map.entry(GgmlType.Q4_0, 2L), Map.entry(GgmlType.Q4_1, 3L), Map.entry(GgmlType.Q5_0, 8L),
            Map.entry(GgmlType.Q5_1, 9L), Map.entry(GgmlType.Q8_0, 7L), Map.entry(GgmlType.Q2_K, 10L),
            Map.entry(GgmlType.Q3_K, 12L), Map.entry(GgmlType.Q4_K, 15L), Map.entry(GgmlType.Q5_K, 17L),
            Map.entry(GgmlType.Q6_K, 18L), Map.entry(GgmlType.IQ4_NL, 25L), Map.entry(GgmlType.IQ4_XS, 30L));

    private ModelLabel() {}

    /** {@code "<architecture> <size class> <file type>"} of {@code gguf}, which has {@code parameters} weights. */
    static String describe(GgufFile gguf, long parameters) {
        return gguf.architecture() + " " + sizeClass(parameters) + " " + fileTypeName(gguf);
    }

    /** The parameter count rounded to a size class: {@code 8B}, {@code 1B}, {@code 0.6B}, {@code 36M}, {@code 260K}. */
    static String sizeClass(long parameters) {
        if (parameters >= 950_000_000L) {
            return Math.round(parameters / 1e9) + "B";
        }
        if (parameters >= 100_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", parameters / 1e9);
        }
        if (parameters >= 1_000_000L) {
            return Math.round(parameters / 1e6) + "M";
        }
        return Math.round(parameters / 1e3) + "K";
    }

    /**
     * llama.cpp's name of the file type in {@code general.file_type}; without that key, the most common tensor type
     * followed by {@code (guessed)}, as llama.cpp guesses it.
     */
    static String fileTypeName(GgufFile gguf) {
        var stored = gguf.metadata().findLong("general.file_type");
        if (stored.isPresent()) {
            return FILE_TYPE_NAMES.getOrDefault(stored.get(), "unknown, may not work");
        }
        Map<GgmlType, Integer> counts = new HashMap<>();
        for (GgufTensorInfo t : gguf.tensors()) {
            counts.merge(t.type(), 1, Integer::sum);
        }
        GgmlType common = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(GgmlType.F32);
        Long guessed = GUESSED_FILE_TYPES.get(common);
        String name = guessed != null ? FILE_TYPE_NAMES.get(guessed) : common.ggmlName().toUpperCase(Locale.ROOT);
        return name + " (guessed)";
    }
}
