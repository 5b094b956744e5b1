package org.ristretto.core.tokenizer;

/** UTF-8 facts the tokenizers need beyond what the JDK's codecs offer. */
final class Utf8Text {
    private Utf8Text() {}

    /** Replaces unpaired surrogates by U+FFFD, so that the text has a UTF-8 form. */
    static String wellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!(Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1)))) {
                    return replaceLoneSurrogates(text);
                }
                i++;
            }
        }
        return text;
    }

    private static String replaceLoneSurrogates(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            sb.appendCodePoint(cp < 0x10000 && Character.isSurrogate((char) cp) ? 0xFFFD : cp);
        }
        return sb.toString();
    }

    /** The length of the UTF-8 sequence a lead byte starts (llama.cpp's rule: by its top four bits). */
    static int sequenceLength(int lead) {
        int high = (lead & 0xFF) >> 4;
        return high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
    }

    /**
     * How many bytes at the end of {@code buf[0..len)} form a UTF-8 sequence that has started but is not complete
     * (0 if the buffer ends on a character boundary or with bytes that can never become valid).
     */
    static int incompleteTail(byte[] buf, int len) {
        for (int back = 1; back <= Math.min(3, len); back++) {
            int b = buf[len - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for the lead
            }
            if (b >= 0xC2 && b <= 0xF4) {
                int need = sequenceLength(b);
                return need > back ? back : 0;
            }
            return 0;
        }
        return 0;
    }
}
