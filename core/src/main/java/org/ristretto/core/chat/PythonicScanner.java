package org.ristretto.core.chat;

import com.hubspot.jinjava.el.ext.ExtendedScanner;

/**
 * Jinjava's expression scanner with Python's string-literal escapes. Jinjava knows only {@code \n \t \b \f \r \\
 * \' \"} and rejects the rest; Python (and so every chat template) also has a backslash before a newline (the line
 * continues, Mistral's templates wrap long system prompts this way), {@code \a \v}, octal {@code \ooo},
 * {@code \xhh}, {@code \}{@code uXXXX}, {@code \UXXXXXXXX} and {@code \N{NAME}}, and keeps an unknown escape as it
 * is, backslash included.
 */
final class PythonicScanner extends ExtendedScanner {

    PythonicScanner(String input) {
        super(input);
    }

    @Override
    protected Token nextString() throws ScanException {
        String input = getInput();
        int start = getPosition();
        char quote = input.charAt(start);
        StringBuilder text = new StringBuilder();
        int i = start + 1;
        while (i < input.length()) {
            char c = input.charAt(i++);
            if (c == quote) {
                return token(Symbol.STRING, text.toString(), i - start);
            }
            if (c != '\\') {
                text.append(c);
                continue;
            }
            if (i == input.length()) {
                break;
            }
            char e = input.charAt(i++);
            switch (e) {
                case '\n' -> { }
                case '\\', '\'', '"' -> text.append(e);
                case 'a' -> text.append('\u0007');
                case 'b' -> text.append('\b');
                case 'f' -> text.append('\f');
                case 'n' -> text.append('\n');
                case 'r' -> text.append('\r');
                case 't' -> text.append('\t');
                case 'v' -> text.append('\u000B');
                case 'x' -> i = hex(input, i, 2, start, text);
                case 'u' -> i = hex(input, i, 4, start, text);
                case 'U' -> i = hex(input, i, 8, start, text);
                case 'N' -> i = named(input, i, start, text);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i - 1;
                        while (end < input.length() && end < i + 2 && input.charAt(end) >= '0'
                                && input.charAt(end) <= '7') {
                            end++;
                        }
                        text.appendCodePoint(Integer.parseInt(input.substring(i - 1, end), 8));
                        i = end;
                    } else {
                        text.append('\\').append(e);
                    }
                }
            }
        }
        throw new ScanException(start, "unterminated string", String.valueOf(quote));
    }

    private static int hex(String input, int at, int digits, int start, StringBuilder text) throws ScanException {
        if (at + digits > input.length()
                || !input.substring(at, at + digits).chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
            throw new ScanException(start, "truncated \\x, \\u or \\U escape", digits + " hex digits");
        }
        int cp = (int) Long.parseLong(input.substring(at, at + digits), 16);
        if (!Character.isValidCodePoint(cp)) {
            throw new ScanException(start, "escape beyond U+10FFFF", "a Unicode code point");
        }
        text.appendCodePoint(cp);
        return at + digits;
    }

    private static int named(String input, int at, int start, StringBuilder text) throws ScanException {
        int close = input.indexOf('}', at);
        if (at >= input.length() || input.charAt(at) != '{' || close < 0) {
            throw new ScanException(start, "malformed \\N escape", "\\N{NAME}");
        }
        try {
            text.appendCodePoint(Character.codePointOf(input.substring(at + 1, close)));
        } catch (IllegalArgumentException e) {
            throw new ScanException(start, "unknown Unicode character name in \\N escape", "a Unicode name");
        }
        return close + 1;
    }
}
