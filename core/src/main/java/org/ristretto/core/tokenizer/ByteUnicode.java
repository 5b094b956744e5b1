package org.ristretto.core.tokenizer;

/**
 * GPT-2's reversible byte-to-character mapping, in which byte-level BPE vocabularies spell their tokens: the printable
 * bytes {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} stand for themselves and the other 68 bytes, in order, for
 * U+0100 onwards. Every mapped character is in the BMP, so a mapped word has one {@code char} per byte.
 */
final class ByteUnicode {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final short[] BYTE_OF_CHAR = new short[0x200];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, (short) -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = (short) b;
        }
    }

    private ByteUnicode() {}

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b & 0xFF];
    }

    /** The byte a character stands for, or -1 if it stands for none. */
    static int byteOf(int c) {
        return c >= 0 && c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }

    /** The mapped spelling of some UTF-8 bytes. */
    static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = CHAR_OF_BYTE[utf8[i] & 0xFF];
        }
        return new String(out);
    }
}
