package org.ristretto.core.tokenizer;

import static org.ristretto.core.tokenizer.Vocabulary.NONE;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.gguf.GgufValueType;

/**
 * Reads a {@link Vocabulary} from GGUF metadata in llama.cpp's order (model defaults, tokens, special ids, add flags,
 * special tokens found by text, the end-of-generation set, per-model attributes), so that later rules see the results
 * of earlier ones.
 */
final class VocabularyReader {
    private static final String KEY = "tokenizer.ggml.";
    /** Texts that mark end-of-generation tokens, as llama.cpp lists them. */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>",
            "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
            "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
            "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
            "<end_of_utterance>");

    /** The special ids llama.cpp keeps; {@link Vocabulary#NONE} where absent. */
    static final class SpecialIds {
        int bos = NONE, eos = NONE, eot = NONE, eom = NONE, unk = NONE, sep = NONE, pad = NONE, mask = NONE;
        int fimPre = NONE, fimSuf = NONE, fimMid = NONE, fimPad = NONE, fimRep = NONE, fimSep = NONE;
    }

    private final GgufMetadata md;
    Vocabulary.Kind kind;
    String model;
    String pre;
    String[] tokens;
    float[] scores;
    TokenType[] types;
    int[] attrs;
    Map<String, Integer> ids;
    final SpecialIds special = new SpecialIds();
    boolean addBos;
    boolean addEos;
    boolean addSep;
    boolean addSpacePrefix;
    final BitSet eog = new BitSet();
    int[] specialByLength;

    VocabularyReader(GgufMetadata md) {
        this.md = md;
    }

    VocabularyReader read() {
        readModel();
        readTokens();
        readSpecialIds();
        readAddFlags();
        findSpecialTokensByText();
        collectEog();
        specialByLength = sortedSpecialTokens();
        applyModelSpecificStrip();
        return this;
    }

    private void readModel() {
        model = md.getString(KEY + "model");
        pre = md.findString(KEY + "pre").orElse(null);
        switch (model) {
            case "llama" -> {
                kind = Vocabulary.Kind.SPM;
                special.bos = 1;
                special.eos = 2;
                special.unk = 0;
                addSpacePrefix = true;
                addBos = true;
            }
            case "gpt2" -> {
                kind = Vocabulary.Kind.BPE;
                BpePreset preset = BpePreset.forName(pre).orElseThrow(() -> new GgufMetadataException(
                        "tokenizer.ggml.pre '" + pre + "' is not a pre-tokenizer this reader knows (known: "
                                + String.join(", ", BpePreset.names()) + ")"));
                special.bos = preset.noDefaultBos() ? NONE : 11;
                special.eos = 11;
                addBos = preset.addBos();
                addSep = preset.addSep();
                if (!md.contains(KEY + "merges")) {
                    throw new GgufMetadataException("tokenizer.ggml.merges is missing, and a gpt2 (BPE) "
                            + "vocabulary needs it");
                }
            }
            case "bert" -> {
                kind = Vocabulary.Kind.WPM;
                special.bos = 101;
                special.unk = 100;
                special.sep = 102;
                special.pad = 0;
                special.mask = 103;
                addBos = true;
                addSep = true;
            }
            default -> throw new GgufMetadataException("tokenizer.ggml.model '" + model
                    + "' is not a tokenizer this reader knows (known: llama, gpt2, bert)");
        }
        if (pre == null) {
            pre = "default";
        }
        addSpacePrefix = md.getBool(KEY + "add_space_prefix", addSpacePrefix);
    }

    private void readTokens() {
        tokens = md.getStringArray(KEY + "tokens").clone();
        int n = tokens.length;
        if (n == 0) {
            throw new GgufMetadataException("tokenizer.ggml.tokens is empty");
        }
        scores = new float[n];
        md.findArray(KEY + "scores").ifPresent(a -> {
            requireLength(a, n, "scores");
            switch (a.elementType()) {
                case FLOAT32 -> System.arraycopy(a.floats(), 0, scores, 0, n);
                case INT32 -> {
                    for (int i = 0; i < n; i++) {
                        scores[i] = (float) a.getLong(i);
                    }
                }
                default -> throw new GgufMetadataException("tokenizer.ggml.scores should be an array of "
                        + "FLOAT32 or INT32 but holds " + a.elementType());
            }
        });
        types = new TokenType[n];
        attrs = new int[n];
        Arrays.fill(types, TokenType.NORMAL);
        md.findArray(KEY + "token_type").ifPresent(a -> {
            requireLength(a, n, "token_type");
            if (a.elementType() != GgufValueType.INT32) {
                throw new GgufMetadataException("tokenizer.ggml.token_type should be an array of INT32 but "
                        + "holds " + a.elementType());
            }
            for (int i = 0; i < n; i++) {
                types[i] = TokenType.fromId((int) a.getLong(i));
            }
        });
        ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            if (tokens[i].isEmpty()) {
                tokens[i] = "[EMPTY_" + i + "]";
            }
            Integer before = ids.putIfAbsent(tokens[i], i);
            if (before != null) {
                throw new GgufMetadataException("tokenizer.ggml.tokens holds '" + tokens[i] + "' twice, at "
                        + before + " and " + i);
            }
            attrs[i] = TokenAttr.fromType(types[i]);
        }
    }

    private static void requireLength(GgufArray a, int n, String name) {
        if (a.length() < n) {
            throw new GgufMetadataException("tokenizer.ggml." + name + " has " + a.length()
                    + " entries but there are " + n + " tokens");
        }
    }

    private void readSpecialIds() {
        int n = tokens.length;
        special.bos = readId("bos_token_id", special.bos, n);
        special.eos = readId("eos_token_id", special.eos, n);
        special.eot = readId("eot_token_id", special.eot, n);
        special.eom = readId("eom_token_id", special.eom, n);
        special.unk = readId("unknown_token_id", special.unk, n);
        special.sep = readId("seperator_token_id", special.sep, n);
        special.pad = readId("padding_token_id", special.pad, n);
        special.mask = readId("mask_token_id", special.mask, n);
        special.fimPre = readId("fim_pre_token_id", special.fimPre, n);
        special.fimSuf = readId("fim_suf_token_id", special.fimSuf, n);
        special.fimMid = readId("fim_mid_token_id", special.fimMid, n);
        special.fimPad = readId("fim_pad_token_id", special.fimPad, n);
        special.fimRep = readId("fim_rep_token_id", special.fimRep, n);
        special.fimSep = readId("fim_sep_token_id", special.fimSep, n);
        special.fimPre = readId("prefix_token_id", special.fimPre, n);
        special.fimSuf = readId("suffix_token_id", special.fimSuf, n);
        special.fimMid = readId("middle_token_id", special.fimMid, n);
    }

    /** A default outside the vocabulary is dropped; a file's id outside it is ignored (llama.cpp warns). */
    private int readId(String key, int fallback, int n) {
        int id = fallback >= n ? NONE : fallback;
        if (md.contains(KEY + key)) {
            long v = md.getLong(KEY + key);
            if (v >= 0 && v < n) {
                id = (int) v;
            }
        }
        return id;
    }

    private void readAddFlags() {
        addBos = md.getBool(KEY + "add_bos_token", addBos);
        addEos = md.getBool(KEY + "add_eos_token", addEos);
        addSep = md.getBool(KEY + "add_sep_token", addSep);
        requireIfAdded(addBos, special.bos, "add_bos_token", "bos_token_id");
        requireIfAdded(addEos, special.eos, "add_eos_token", "eos_token_id");
        requireIfAdded(addSep, special.sep, "add_sep_token", "seperator_token_id");
    }

    private static void requireIfAdded(boolean add, int id, String addKey, String idKey) {
        if (add && id == NONE) {
            throw new GgufMetadataException("tokenizer.ggml." + addKey + " is true, but tokenizer.ggml." + idKey
                    + " is not set");
        }
    }

    /** llama.cpp finds EOT, EOM and FIM tokens by their text when the file does not name them. */
    private void findSpecialTokensByText() {
        special.eot = findByText(special.eot, EOT_TEXTS);
        special.eom = findByText(special.eom, List.of("<|eom_id|>"));
        special.fimPre = findByText(special.fimPre, List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"));
        special.fimSuf = findByText(special.fimSuf, List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"));
        special.fimMid = findByText(special.fimMid, List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"));
        special.fimPad = findByText(special.fimPad, List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                "[PAD]"));
        special.fimRep = findByText(special.fimRep, List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                "<REPO>", "<reponame>"));
        special.fimSep = findByText(special.fimSep, List.of("<|file_sep|>"));
        for (int id = 0; id < tokens.length; id++) {
            if ((attrs[id] & TokenAttr.CONTROL) != 0 && tokens[id].contains("unused")) {
                attrs[id] |= TokenAttr.UNUSED;
            }
        }
    }

    /**
     * The first text in the list that is a token, made a control token. llama.cpp walks a hash map, so when a
     * vocabulary has several of the texts its pick is arbitrary; the list order decides here.
     */
    private int findByText(int current, List<String> texts) {
        if (current != NONE) {
            return current;
        }
        for (String t : texts) {
            Integer id = ids.get(t);
            if (id != null) {
                attrs[id] |= TokenAttr.CONTROL;
                return id;
            }
        }
        return NONE;
    }

    private void collectEog() {
        for (int id : new int[] {special.fimPad, special.fimRep, special.fimSep}) {
            if (id != NONE) {
                eog.set(id);
            }
        }
        for (String t : EOG_TEXTS) {
            Integer id = ids.get(t);
            // llama.cpp also takes a plain-text "</s>" (a normal token in Qwen's vocabulary, say) for an
            // end-of-generation control token; here it counts only where the vocabulary marks it special
            if (id != null && !(t.equals("</s>") && (attrs[id] & TokenAttr.SPECIAL) == 0)) {
                eog.set(id);
                attrs[id] |= TokenAttr.CONTROL;
            }
        }
        // gpt-oss renders these chat markers as text
        for (String t : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
            Integer id = ids.get(t);
            if (id != null) {
                attrs[id] = TokenAttr.USER_DEFINED;
            }
        }
        for (int id : new int[] {special.eos, special.eot, special.eom}) {
            if (id != NONE) {
                eog.set(id);
            }
        }
        // o200k_harmony and solar-open end turns with <|return|>/<|call|> or <|calls|>/<|flush|>, not <|end|>
        boolean has = eogHas("<|return|>") && eogHas("<|call|>") || eogHas("<|calls|>") && eogHas("<|flush|>");
        if (has && eogHas("<|end|>")) {
            int end = ids.get("<|end|>");
            eog.clear(end);
            attrs[end] = TokenAttr.USER_DEFINED;
        }
        // gemma4 and paddleocr: </s> is text there
        if (eogHas("<|tool_response>") && eogHas("</s>")) {
            int s = ids.get("</s>");
            eog.clear(s);
            attrs[s] = TokenAttr.NORMAL;
        }
    }

    private boolean eogHas(String text) {
        Integer id = ids.get(text);
        return id != null && eog.get(id);
    }

    private int[] sortedSpecialTokens() {
        List<Integer> list = new ArrayList<>();
        int[] utf8Length = new int[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            if ((attrs[id] & TokenAttr.SPECIAL) != 0) {
                list.add(id);
                utf8Length[id] = tokens[id].getBytes(StandardCharsets.UTF_8).length;
            }
        }
        list.sort(Comparator.<Integer>comparingInt(id -> -utf8Length[id]).thenComparingInt(id -> id));
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /** llama.cpp strips whitespace around the special tokens of a few models, found by name. */
    private void applyModelSpecificStrip() {
        String name = md.findString("general.name").orElse("").toLowerCase(Locale.ROOT);
        String arch = md.findString("general.architecture").orElse("");
        if (pre.contains("jina-v2-de") || pre.contains("jina-v2-es") || pre.contains("jina-v2-code")
                || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
            setAttr("<mask>", TokenAttr.LSTRIP, true);
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialByLength) {
                attrs[id] |= TokenAttr.RSTRIP;
            }
            setAttr("</s>", TokenAttr.RSTRIP, true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) {
                setAttr(t, TokenAttr.RSTRIP, false);
            }
        } else if (name.contains("modern-bert")) {
            setAttr("[MASK]", TokenAttr.LSTRIP, true);
        }
    }

    private void setAttr(String text, int bit, boolean on) {
        Integer id = ids.get(text);
        if (id != null) {
            attrs[id] = on ? attrs[id] | bit : attrs[id] & ~bit;
        }
    }
}
