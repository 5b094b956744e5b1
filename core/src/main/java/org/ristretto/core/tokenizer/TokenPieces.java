package org.ristretto.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Renders a token as the bytes it stands for, following llama.cpp's {@code token_to_piece} with specials shown. */
final class TokenPieces {
    private static final byte[] EMPTY = new byte[0];

    private TokenPieces() {}

    static byte[] piece(Vocabulary v, int id) {
        int attr = v.attr(id);
        String text = v.token(id);
        if ((attr & TokenAttr.SPECIAL) != 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if ((attr & TokenAttr.NORMAL) != 0) {
            return switch (v.kind()) {
                case SPM, WPM -> text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
                case BPE -> unmapBytes(text);
            };
        }
        if ((attr & TokenAttr.BYTE) != 0) {
            int b = byteValue(text);
            return b < 0 ? text.getBytes(StandardCharsets.UTF_8) : new byte[] {(byte) b};
        }
        return EMPTY;
    }

    /** The byte of a {@code <0xNN>} token, or -1 if the text is not one. */
    static int byteValue(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(text.charAt(3), 16);
        int lo = Character.digit(text.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    /**
     * Undoes the GPT-2 byte mapping. A character outside the mapping (only in malformed vocabularies) is kept as its
     * own UTF-8 bytes rather than llama.cpp's bracketed marker.
     */
    private static byte[] unmapBytes(String text) {
        // Every character of a well-formed token maps to one byte: fill an array of the text's length, and fall
        // back to the general form at the first one that does not (this runs for every token of the vocabulary
        // while a model loads).
        byte[] bytes = new byte[text.length()];
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            int b = ByteUnicode.byteOf(text.charAt(i));
            if (b < 0) { // also every surrogate: the mapping has no characters past U+0143
                return unmapAnyBytes(text);
            }
            bytes[n++] = (byte) b;
        }
        return bytes;
    }

    /** {@link #unmapBytes} for a text with characters outside the mapping: those keep their own UTF-8 bytes. */
    private static byte[] unmapAnyBytes(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = ByteUnicode.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
