package org.ristretto.core.tokenizer;

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
 * A model's vocabulary as read from GGUF metadata the way llama.cpp reads it: the tokens, their scores and types, the
 * special token ids (with llama.cpp's defaults per tokenizer model), whether BOS/EOS are added, and the set of
 * end-of-generation tokens. Immutable and safe to share between threads.
 *
 * <p>Special ids that a file does not give fall back to llama.cpp's defaults for the tokenizer model: for
 * {@code llama} (SentencePiece) BOS 1, EOS 2, UNK 0; for {@code gpt2} (byte-level BPE) BOS and EOS 11; for
 * {@code bert} BOS 101, UNK 100, SEP 102, PAD 0. A default outside the vocabulary means none. Ids are
 * {@link #NONE} where there is none.
 */
public final class Vocabulary {
    /** The id returned where there is no such token. */
    public static final int NONE = -1;

    /** llama.cpp's tokenizer families, by {@code tokenizer.ggml.model}. */
    /** The tokenizer family: SentencePiece-style, byte-level BPE, or WordPiece. */
    public enum Kind { SPM, BPE, WPM }

    private static final String KEY = "tokenizer.ggml.";
    /** Texts that mark end-of-generation tokens, as llama.cpp lists them. */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>",
            "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
            "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
            "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
            "<end_of_utterance>");

    private final Kind kind;
    private final String model;
    private final String pre;
    private final String[] tokens;
    private final float[] scores;
    private final TokenType[] types;
    private final int[] attrs;
    private final Map<String, Integer> ids;
    private final SpecialIds special;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    private final BitSet eog;
    private final int[] specialByLength;
    private final byte[][] pieces;
    private final int maxTokenBytes;

    private Vocabulary(Builder b) {
        this.kind = b.kind;
        this.model = b.model;
        this.pre = b.pre;
        this.tokens = b.tokens;
        this.scores = b.scores;
        this.types = b.types;
        this.attrs = b.attrs;
        this.ids = b.ids;
        this.special = b.special;
        this.addBos = b.addBos;
        this.addEos = b.addEos;
        this.addSep = b.addSep;
        this.addSpacePrefix = b.addSpacePrefix;
        this.eog = b.eog;
        this.specialByLength = b.specialByLength;
        this.pieces = new byte[tokens.length][];
        int max = 0;
        for (int id = 0; id < tokens.length; id++) {
            pieces[id] = TokenPieces.piece(this, id);
            max = Math.max(max, tokens[id].getBytes(StandardCharsets.UTF_8).length);
        }
        this.maxTokenBytes = max;
    }

    /**
     * Reads the vocabulary from GGUF metadata.
     *
     * @throws GgufMetadataException if a key is missing or malformed, or the tokenizer model or pre-tokenizer is one
     *                               this reader does not know (the message names the value)
     */
    public static Vocabulary fromGguf(GgufMetadata metadata) {
        return new Vocabulary(new Builder(metadata).build());
    }

    /** {@code tokenizer.ggml.model}: {@code llama}, {@code gpt2} or {@code bert}. */
    public String model() {
        return model;
    }

    /** {@code tokenizer.ggml.pre}, or {@code default} when the file gives none. */
    public String preTokenizer() {
        return pre;
    }

    /** The tokenizer family {@code tokenizer.ggml.model} names. */
    public Kind kind() {
        return kind;
    }

    /** The number of tokens. */
    public int size() {
        return tokens.length;
    }

    /** The token's text as stored in the file (SentencePiece spells spaces U+2581, byte-level BPE maps bytes). */
    public String token(int id) {
        return tokens[checkId(id)];
    }

    /** The token's score (SentencePiece merge priority); 0 where the file gives none. */
    public float score(int id) {
        return scores[checkId(id)];
    }

    /** The token's type as stored in the file. */
    public TokenType type(int id) {
        return types[checkId(id)];
    }

    /** The id of the token with exactly this text, or {@link #NONE}. */
    public int id(String text) {
        Integer id = ids.get(text);
        return id == null ? NONE : id;
    }

    /** Whether the token is a control token (after llama.cpp's adjustments, e.g. end-of-generation texts). */
    public boolean isControl(int id) {
        return (attrs[checkId(id)] & TokenAttr.CONTROL) != 0;
    }

    /** Whether the token is user-defined: matched in text even when special tokens are not parsed. */
    public boolean isUserDefined(int id) {
        return (attrs[checkId(id)] & TokenAttr.USER_DEFINED) != 0;
    }

    /** Whether the token is a byte-fallback token. */
    public boolean isByte(int id) {
        return (attrs[checkId(id)] & TokenAttr.BYTE) != 0;
    }

    /** Whether the token is special in llama.cpp's sense: control, user-defined or unknown. */
    public boolean isSpecial(int id) {
        return (attrs[checkId(id)] & TokenAttr.SPECIAL) != 0;
    }

    /** The BOS token, or {@link #NONE}. */
    public int bos() {
        return special.bos;
    }

    /** The EOS token, or {@link #NONE}. */
    public int eos() {
        return special.eos;
    }

    /** The end-of-turn token (from the file, else found by its text as llama.cpp does), or {@link #NONE}. */
    public int eot() {
        return special.eot;
    }

    /** The end-of-message token (Llama 3.1 {@code <|eom_id|>}), or {@link #NONE}. */
    public int eom() {
        return special.eom;
    }

    /** The unknown token, or {@link #NONE}. */
    public int unk() {
        return special.unk;
    }

    /** The separator token, or {@link #NONE}. */
    public int sep() {
        return special.sep;
    }

    /** The padding token, or {@link #NONE}. */
    public int pad() {
        return special.pad;
    }

    /**
     * Whether generating this token ends generation: EOS, EOT, EOM and every token llama.cpp treats as
     * end-of-generation (texts such as {@code <|eot_id|>}, {@code <|im_end|>}, {@code <|endoftext|>},
     * {@code <end_of_turn>}, and the FIM pad/repo/separator tokens).
     */
    public boolean isEog(int id) {
        return id >= 0 && eog.get(id);
    }

    /** Every end-of-generation token id, ascending. */
    public int[] eogIds() {
        return eog.stream().toArray();
    }

    /** Whether encoding with special tokens adds BOS ({@code add_bos_token}, else llama.cpp's default). */
    public boolean addBos() {
        return addBos;
    }

    /** Whether encoding with special tokens adds EOS ({@code add_eos_token}, else false). */
    public boolean addEos() {
        return addEos;
    }

    /** Whether encoding with special tokens adds SEP at the end (BERT-style models). */
    public boolean addSep() {
        return addSep;
    }

    /** Whether SentencePiece encoding puts a space before the text ({@code add_space_prefix}, default true). */
    public boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    /**
     * The bytes this token stands for when text is generated, as llama.cpp renders it with special tokens shown:
     * byte tokens give their byte, normal tokens their text (spaces restored, byte-level mapping undone), control,
     * user-defined and unknown tokens their text as stored, unused tokens nothing. A piece may be part of a UTF-8
     * sequence.
     */
    public byte[] piece(int id) {
        return pieces[checkId(id)].clone();
    }

    /** {@link #piece}, without the copy. */
    byte[] pieceBytes(int id) {
        return pieces[checkId(id)];
    }

    int attr(int id) {
        return attrs[id];
    }

    /** The special tokens (control, user-defined, unknown), longest UTF-8 text first, then by id. */
    int[] specialTokensByLength() {
        return specialByLength;
    }

    /** The longest token text in UTF-8 bytes. */
    int maxTokenBytes() {
        return maxTokenBytes;
    }

    /** The id of the token with this text, or {@link #NONE}; no boxing on a miss. */
    int lookup(String text) {
        Integer id = ids.get(text);
        return id == null ? NONE : id;
    }

    private int checkId(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IndexOutOfBoundsException("token id " + id + " is outside the vocabulary of " + tokens.length);
        }
        return id;
    }

    /** The special ids llama.cpp keeps; {@link #NONE} where absent. */
    private static final class SpecialIds {
        int bos = NONE, eos = NONE, eot = NONE, eom = NONE, unk = NONE, sep = NONE, pad = NONE, mask = NONE;
        int fimPre = NONE, fimSuf = NONE, fimMid = NONE, fimPad = NONE, fimRep = NONE, fimSep = NONE;
    }

    /** Reads the metadata in llama.cpp's order, so that later rules see the results of earlier ones. */
    private static final class Builder {
        private final GgufMetadata md;
        Kind kind;
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

        Builder(GgufMetadata md) {
            this.md = md;
        }

        Builder build() {
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
                    kind = Kind.SPM;
                    special.bos = 1;
                    special.eos = 2;
                    special.unk = 0;
                    addSpacePrefix = true;
                    addBos = true;
                }
                case "gpt2" -> {
                    kind = Kind.BPE;
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
                    kind = Kind.WPM;
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
                if (id != null) {
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
}
