package org.ristretto.core.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code tokenizer.ggml.pre} selects for a byte-level BPE vocabulary, as llama.cpp defines it: the chain of
 * pre-tokenizer expressions (in llama.cpp's ECMAScript syntax) and the flags that come with the name.
 *
 * @param expressions  the pre-tokenizer expressions, applied in order
 * @param ignoreMerges a word that is itself a token is emitted whole, without merging (tiktoken-style vocabularies)
 * @param addBos       the default for {@code add_bos_token} when the file does not say
 * @param addSep       the default for {@code add_sep_token} when the file does not say
 * @param noDefaultBos the name clears the BOS default (the file's own {@code bos_token_id} still applies)
 */
record BpePreset(List<String> expressions, boolean ignoreMerges, boolean addBos, boolean addSep,
                 boolean noDefaultBos) {

    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String LLAMA3 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String SEED_CODER = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + CONTRACTIONS
            + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Han ideographs, then U+0800 to U+4E00, then Hangul syllables to the end of the BMP's letters. */
    private static final String DEEPSEEK_CJK = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    /** The cased letters (Unicode LC) that DeepSeek LLM's tokenizer lists range by range. */
    private static final String DEEPSEEK_LLM_LETTERS = "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA"
            + "\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386"
            + "\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5"
            + "\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A"
            + "\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D"
            + "\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC"
            + "\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128"
            + "\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B"
            + "\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787"
            + "\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
            + "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}"
            + "\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+";
    private static final String DEEPSEEK_LLM_PUNCTUATION =
            "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";
    private static final String PORO = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

    private static final BpePreset DEFAULT = of(List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"));

    private static final Map<String, BpePreset> BY_NAME = new HashMap<>();

    static {
        BY_NAME.put("default", DEFAULT);
        BpePreset llama3 = new BpePreset(List.of(LLAMA3), true, true, false, false);
        for (String n : List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
                "lfm2")) {
            BY_NAME.put(n, llama3);
        }
        BY_NAME.put("dbrx", of(List.of(LLAMA3)));
        BY_NAME.put("smaug-bpe", of(List.of(LLAMA3)));
        BY_NAME.put("chatglm-bpe", new BpePreset(List.of(LLAMA3), false, false, false, true));
        BY_NAME.put("glm4", new BpePreset(List.of(LLAMA3), false, false, false, true));
        BY_NAME.put("deepseek-llm", of(List.of("[\r\n]", DEEPSEEK_LLM_LETTERS, DEEPSEEK_LLM_PUNCTUATION, "\\s+$",
                DEEPSEEK_CJK, "\\p{N}+")));
        BY_NAME.put("deepseek-coder", of(List.of("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", DEEPSEEK_CJK, "\\p{N}")));
        BY_NAME.put("deepseek-v3", of(List.of("\\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                        + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")));
        BY_NAME.put("falcon", of(List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]")));
        BpePreset starcoder = of(List.of("\\p{N}", GPT2));
        for (String n : List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b")) {
            BY_NAME.put(n, starcoder);
        }
        BpePreset gpt2 = of(List.of(GPT2));
        for (String n : List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
                "a.x-4.0", "mellum", "modern-bert", "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling")) {
            BY_NAME.put(n, gpt2);
        }
        BpePreset roberta = new BpePreset(List.of(GPT2), false, false, true, false);
        for (String n : List.of("jina-v1-en", "jina-v2-code", "roberta-bpe")) {
            BY_NAME.put(n, roberta);
        }
        BpePreset qwen2 = of(List.of(QWEN2));
        for (String n : List.of("qwen2", "deepseek-r1-qwen", "kormo", "megrez", "stablelm2", "hunyuan")) {
            BY_NAME.put(n, qwen2);
        }
        BpePreset poro = of(List.of(PORO));
        for (String n : List.of("poro-chat", "bloom", "gpt3-finnish")) {
            BY_NAME.put(n, poro);
        }
        BY_NAME.put("viking", of(List.of(PORO, "\\p{N}")));
        BY_NAME.put("tekken", new BpePreset(List.of(TEKKEN), true, true, false, false));
        BY_NAME.put("gpt-4o", of(List.of(GPT4O)));
        BY_NAME.put("llama4", of(List.of(GPT4O)));
        BY_NAME.put("seed-coder", of(List.of(SEED_CODER)));
    }

    private static BpePreset of(List<String> expressions) {
        return new BpePreset(expressions, false, false, false, false);
    }

    /**
     * The preset for a {@code tokenizer.ggml.pre} value; an absent value means {@code default}, as in llama.cpp.
     * Unknown names are empty: the caller reports them.
     */
    static Optional<BpePreset> forName(String pre) {
        return Optional.ofNullable(pre == null ? DEFAULT : BY_NAME.get(pre));
    }

    /** The supported names, sorted, for error messages. */
    static List<String> names() {
        return BY_NAME.keySet().stream().sorted().toList();
    }
}
