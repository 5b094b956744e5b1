package org.ristretto.core.tokenizer;

/**
 * Hand-written matchers for the pre-tokenizer expressions that nearly every byte-level BPE model uses (GPT-2's, and
 * Llama 3's / Qwen2's, which differ only in how many digits make a number), ten times faster than the regular
 * expression engine. Like llama.cpp's custom splitters they must split exactly as the expressions do; they run over
 * the same collapsed text (one char per code point, see {@link PreTokenizer}) and a test checks them against the
 * expressions. Each emits the lengths of the words of one piece {@code [start, end)}.
 */
final class HandWrittenSplits {
    /** GPT-2's expression. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String LLAMA3_TAIL =
            "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's expression (numbers of up to three digits). */
    static final String LLAMA3 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}" + LLAMA3_TAIL;
    /** Qwen2's expression (one digit per number). */
    static final String QWEN2 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}" + LLAMA3_TAIL;

    private HandWrittenSplits() {}

    /** A matcher over collapsed text that appends word lengths for one piece. */
    interface Splitter {
        void split(char[] text, int start, int end, IntList lengths);
    }

    /** The hand-written matcher for this expression, or null if there is none. */
    static Splitter forExpression(String expression) {
        return switch (expression) {
            case GPT2 -> HandWrittenSplits::gpt2;
            case LLAMA3 -> (t, s, e, out) -> llama3(t, s, e, 3, out);
            case QWEN2 -> (t, s, e, out) -> llama3(t, s, e, 1, out);
            default -> null;
        };
    }

    private static boolean isLetter(char c) {
        return c == PreTokenizer.LETTER_STAND_IN || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isNumber(char c) {
        return c == PreTokenizer.NUMBER_STAND_IN || (c >= '0' && c <= '9');
    }

    /** {@code \s} over collapsed text: ASCII whitespace (non-ASCII whitespace is collapsed to U+000B). */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** {@code [^\s\p{L}\p{N}]}. */
    private static boolean isOther(char c) {
        return !isSpace(c) && !isLetter(c) && !isNumber(c);
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    /** The length of a contraction ('s 't 're 've 'm 'll 'd) at {@code pos}, or 0. */
    private static int contraction(char[] t, int pos, int end, boolean anyCase) {
        if (t[pos] != '\'' || pos + 1 >= end) {
            return 0;
        }
        char a = anyCase ? lower(t[pos + 1]) : t[pos + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 2;
        }
        if (pos + 2 < end) {
            char b = anyCase ? lower(t[pos + 2]) : t[pos + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 3;
            }
        }
        return 0;
    }

    /** The end of the whitespace run that starts at {@code pos}. */
    private static int spaceRun(char[] t, int pos, int end) {
        while (pos < end && isSpace(t[pos])) {
            pos++;
        }
        return pos;
    }

    /**
     * {@code \s+(?!\S)} at a whitespace run {@code [pos, runEnd)}: the whole run at the piece's end, else all but its
     * last character, else (a single space before a non-space) no match: 0.
     */
    private static int spacesNotBeforeNonSpace(int pos, int runEnd, int end) {
        int n = runEnd - pos;
        return runEnd == end ? n : n - 1;
    }

    static void gpt2(char[] t, int start, int end, IntList out) {
        int pos = start;
        int gap = start; // text between matches becomes a word of its own, as in llama.cpp
        while (pos < end) {
            char c = t[pos];
            int len = contraction(t, pos, end, false);
            if (len == 0) {
                int from = c == ' ' && pos + 1 < end ? pos + 1 : pos;
                char d = t[from];
                if (isLetter(d) || isNumber(d) || isOther(d)) {
                    int q = from + 1;
                    if (isLetter(d)) {
                        while (q < end && isLetter(t[q])) {
                            q++;
                        }
                    } else if (isNumber(d)) {
                        while (q < end && isNumber(t[q])) {
                            q++;
                        }
                    } else {
                        while (q < end && isOther(t[q])) {
                            q++;
                        }
                    }
                    len = q - pos;
                } else if (isSpace(c)) {
                    len = spacesNotBeforeNonSpace(pos, spaceRun(t, pos, end), end);
                }
            }
            if (len == 0) {
                pos++;
                continue;
            }
            if (pos > gap) {
                out.add(pos - gap);
            }
            out.add(len);
            pos += len;
            gap = pos;
        }
        if (end > gap) {
            out.add(end - gap);
        }
    }

    static void llama3(char[] t, int start, int end, int maxDigits, IntList out) {
        int pos = start;
        int gap = start;
        while (pos < end) {
            char c = t[pos];
            int len = contraction(t, pos, end, true);
            if (len == 0) {
                len = wordAt(t, pos, end, maxDigits);
            }
            if (len == 0) {
                pos++;
                continue;
            }
            if (pos > gap) {
                out.add(pos - gap);
            }
            out.add(len);
            pos += len;
            gap = pos;
        }
        if (end > gap) {
            out.add(end - gap);
        }
    }

    /** The match of the Llama 3 alternatives after the contractions at {@code pos}, or 0. */
    private static int wordAt(char[] t, int pos, int end, int maxDigits) {
        char c = t[pos];
        // [^\r\n\p{L}\p{N}]?\p{L}+
        int letters = isLetter(c) ? pos
                : c != '\r' && c != '\n' && !isNumber(c) && pos + 1 < end && isLetter(t[pos + 1]) ? pos + 1 : -1;
        if (letters >= 0) {
            int q = letters + 1;
            while (q < end && isLetter(t[q])) {
                q++;
            }
            return q - pos;
        }
        // \p{N}{1,maxDigits}
        if (isNumber(c)) {
            int q = pos + 1;
            while (q < end && q - pos < maxDigits && isNumber(t[q])) {
                q++;
            }
            return q - pos;
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int from = c == ' ' && pos + 1 < end && isOther(t[pos + 1]) ? pos + 1 : pos;
        if (isOther(t[from])) {
            int q = from + 1;
            while (q < end && isOther(t[q])) {
                q++;
            }
            while (q < end && (t[q] == '\r' || t[q] == '\n')) {
                q++;
            }
            return q - pos;
        }
        // \s*[\r\n]+ | \s+(?!\S) | \s+
        if (isSpace(c)) {
            int runEnd = spaceRun(t, pos, end);
            for (int q = runEnd - 1; q >= pos; q--) {
                if (t[q] == '\r' || t[q] == '\n') {
                    return q + 1 - pos;
                }
            }
            int n = spacesNotBeforeNonSpace(pos, runEnd, end);
            return n > 0 ? n : runEnd - pos;
        }
        return 0;
    }
}
