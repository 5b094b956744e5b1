package org.ristretto.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes generated token ids one at a time into text, returning only complete characters: a token can end in the
 * middle of a UTF-8 sequence (byte-fallback tokens, byte-level BPE pieces of CJK or emoji), and those bytes are held
 * back until the tokens that complete them arrive. {@link #flush()} returns what is left at the end (an incomplete
 * sequence becomes U+FFFD).
 *
 * <p>Pieces are joined exactly as they come, without removing the leading space of SentencePiece text: generated
 * tokens continue a prompt. Not thread-safe; use one per generation.
 */
public final class StreamingDecoder {
    private final Vocabulary vocab;
    private final boolean renderSpecial;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /**
     * @param vocab         the vocabulary the ids belong to
     * @param renderSpecial write control and unknown tokens as their text; when false they produce nothing (as
     *                      llama.cpp's {@code token_to_piece} with {@code special = false})
     */
    public StreamingDecoder(Vocabulary vocab, boolean renderSpecial) {
        this.vocab = vocab;
        this.renderSpecial = renderSpecial;
    }

    /** Adds one token and returns the text that is now complete (possibly empty). */
    public String accept(int id) {
        if (!renderSpecial && (vocab.attr(checked(id)) & (TokenAttr.CONTROL | TokenAttr.UNKNOWN)) != 0) {
            return "";
        }
        byte[] piece = vocab.pieceBytes(id);
        if (pendingLength + piece.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + piece.length));
        }
        System.arraycopy(piece, 0, pending, pendingLength, piece.length);
        pendingLength += piece.length;
        int ready = pendingLength - Utf8Text.incompleteTail(pending, pendingLength);
        if (ready == 0) {
            return "";
        }
        String text = new String(pending, 0, ready, StandardCharsets.UTF_8);
        System.arraycopy(pending, ready, pending, 0, pendingLength - ready);
        pendingLength -= ready;
        return text;
    }

    /** Returns the held-back bytes (an incomplete sequence, as U+FFFD) and starts afresh. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** Whether bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private int checked(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IndexOutOfBoundsException("token id " + id + " is outside the vocabulary of " + vocab.size());
        }
        return id;
    }
}
