package org.ristretto.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.ristretto.core.concurrent.Background;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;

/**
 * Turns text into token ids and back, exactly as llama.cpp does for the same GGUF vocabulary. Implementations are
 * immutable and safe to use from several threads.
 */
public sealed interface Tokenizer permits SpmTokenizer, BpeTokenizer, WpmTokenizer {

    /**
     * The tokenizer that {@code tokenizer.ggml.model} names: {@code llama} (SentencePiece-style BPE driven by
     * scores), {@code gpt2} (byte-level BPE with the pre-tokenizer {@code tokenizer.ggml.pre} names) or {@code bert}
     * (WordPiece). A vocabulary-only GGUF is enough.
     *
     * @throws GgufMetadataException if the metadata lacks the tokenizer or names a model or pre-tokenizer this
     *                               reader does not know (the message names the value)
     */
    static Tokenizer fromGguf(GgufMetadata metadata) {
        Background<BpeMerges> merges = BpeMerges.startBuilding(metadata);
        Vocabulary vocab = Vocabulary.fromGguf(metadata);
        return switch (vocab.kind()) {
            case SPM -> new SpmTokenizer(vocab);
            case BPE -> merges == null ? new BpeTokenizer(vocab, metadata)
                    : new BpeTokenizer(vocab, merges.join(RuntimeException.class));
            case WPM -> new WpmTokenizer(vocab, metadata);
        };
    }

    /** The vocabulary this tokenizer encodes into. */
    Vocabulary vocabulary();

    /**
     * Encodes text.
     *
     * @param text         the text; unpaired surrogates are read as U+FFFD, as llama.cpp reads invalid UTF-8
     * @param addSpecial   add BOS (and EOS, SEP) as the vocabulary's {@code add_*_token} flags say
     * @param parseSpecial match control tokens written in the text (such as {@code <|im_start|>}); user-defined
     *                     tokens are matched either way
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The bytes that {@code ids} stand for: the tokens' pieces ({@link Vocabulary#piece}) joined, special tokens as
     * their text. For SentencePiece vocabularies that add a space before the text, the one space that encoding puts
     * before each run of text (at the start and after each special token) is removed, so that
     * {@code decode(encode(text, false, p)) == text}. llama.cpp's optional clean-up of spaces before punctuation is not
     * applied.
     */
    default byte[] decodeBytes(int[] ids) {
        Vocabulary v = vocabulary();
        boolean stripSpace = v.kind() == Vocabulary.Kind.SPM && v.addSpacePrefix();
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        boolean atRunStart = true;
        for (int id : ids) {
            byte[] piece = v.pieceBytes(id);
            boolean special = v.isSpecial(id);
            int skip = stripSpace && atRunStart && !special && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, skip, piece.length - skip);
            if (special) {
                atRunStart = true;
            } else if (piece.length > 0) {
                atRunStart = false;
            }
        }
        return out.toByteArray();
    }

    /** {@link #decodeBytes} as text; bytes that are not valid UTF-8 become U+FFFD. */
    default String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** A decoder for generated ids, one at a time; special tokens are rendered as their text. */
    default StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(vocabulary(), true);
    }
}
