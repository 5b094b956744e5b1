package org.ristretto.core.tokenizer;

/**
 * The character classes that llama.cpp's pre-tokenizers and WordPiece splitter see: the White_Space property and the
 * Unicode general category group (letter, number, mark, punctuation, symbol, separator, other).
 *
 * <p>llama.cpp derives its table from Python's {@code regex} module; Java's {@link Character#getType} gives the same
 * groups for every code point assigned in both Unicode versions. Whitespace is the White_Space property (U+0009 to
 * U+000D, space, U+0085, U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), not Java's
 * ASCII-only {@code \s}.
 */
final class CodepointClass {
    /** Category groups; the numbering is internal. */
    static final int OTHER = 0;
    static final int NUMBER = 1;
    static final int LETTER = 2;
    static final int PUNCTUATION = 3;
    static final int MARK = 4;
    static final int SYMBOL = 5;
    static final int SEPARATOR = 6;

    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int cp = 0; cp < BMP.length; cp++) {
            BMP[cp] = (byte) compute(cp);
        }
    }

    private CodepointClass() {}

    /** The category group of a code point. */
    static int category(int cp) {
        return cp < BMP.length ? BMP[cp] : compute(cp);
    }

    static boolean isLetter(int cp) {
        return category(cp) == LETTER;
    }

    static boolean isNumber(int cp) {
        return category(cp) == NUMBER;
    }

    /** The Unicode White_Space property. */
    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    private static int compute(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL -> SYMBOL;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            default -> OTHER;
        };
    }
}
