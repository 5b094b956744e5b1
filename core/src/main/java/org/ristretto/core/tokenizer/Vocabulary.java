package org.ristretto.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Map;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;

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

    private final Kind kind;
    private final String model;
    private final String pre;
    private final String[] tokens;
    private final float[] scores;
    private final TokenType[] types;
    private final int[] attrs;
    private final Map<String, Integer> ids;
    private final VocabularyReader.SpecialIds special;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    private final BitSet eog;
    private final int[] specialByLength;
    private final byte[][] pieces;
    private final int maxTokenBytes;

    private Vocabulary(VocabularyReader b) {
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
        return new Vocabulary(new VocabularyReader(metadata).read());
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
}
