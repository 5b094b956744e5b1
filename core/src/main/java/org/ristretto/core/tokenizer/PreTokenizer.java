package org.ristretto.core.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE merges within, by a chain of regular expressions applied the way
 * llama.cpp's {@code unicode_regex_split} applies them: each expression splits every piece the previous ones left,
 * both its matches and the runs of text between matches become pieces, and matching never looks past a piece's ends.
 *
 * <p>Unicode categories are handled as llama.cpp handles them, so that the splits are the same. An expression that
 * names a category ({@code \p{L}}, {@code \p{N}}, {@code \p{P}}, {@code \p{S}}, {@code \p{M}} and the letter
 * subclasses) runs over a "collapsed" copy of the text in which every non-ASCII code point is replaced by one stand-in
 * character for its category (a stand-in for whitespace, one per category, one for everything else); the category
 * becomes a class of its stand-in plus its ASCII members. An expression without categories runs over the text itself,
 * with non-ASCII whitespace replaced by U+000B so that {@code \s} matches it. {@code \s} then means exactly
 * llama.cpp's whitespace, and lookaheads at a piece's end see nothing, as in llama.cpp.
 */
final class PreTokenizer {
    private static final char WHITESPACE_STAND_IN = 0x0B;
    private static final char OTHER_STAND_IN = 0xD0;

    /** llama.cpp's category names, the stand-in for each, and its ASCII members in Java class syntax. */
    private record Category(char standIn, String asciiMembers) {}

    private static final Category NUMBER = new Category((char) 0xD1, "0-9");
    private static final Category LETTER = new Category((char) 0xD2, "A-Za-z");
    private static final Category PUNCTUATION = new Category((char) 0xD3, "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}");
    private static final Category MARK = new Category((char) 0xD4, "");
    private static final Category SYMBOL = new Category((char) 0xD5, "\\$\\+<->\\^`\\|");

    private static final Map<String, Category> CATEGORIES = Map.of(
            "\\p{N}", NUMBER, "\\p{L}", LETTER, "\\p{P}", PUNCTUATION, "\\p{M}", MARK, "\\p{S}", SYMBOL,
            "\\p{Lu}", LETTER, "\\p{Ll}", LETTER, "\\p{Lt}", LETTER, "\\p{Lm}", LETTER, "\\p{Lo}", LETTER);

    private record Step(Pattern pattern, boolean collapsed) {}

    private final List<Step> steps;
    private final boolean needsCollapsed;
    private final boolean needsWide;

    /**
     * @param expressions the expressions in llama.cpp's (ECMAScript) syntax, applied in order
     */
    PreTokenizer(List<String> expressions) {
        List<Step> s = new ArrayList<>();
        for (String e : expressions) {
            boolean collapsed = CATEGORIES.keySet().stream().anyMatch(e::contains);
            if (collapsed && e.chars().anyMatch(c -> c >= 128)) {
                throw new IllegalArgumentException(
                        "pre-tokenizer expression mixes Unicode categories and non-ASCII characters: " + e);
            }
            s.add(new Step(Pattern.compile(translate(e, collapsed)), collapsed));
        }
        this.steps = List.copyOf(s);
        this.needsCollapsed = steps.stream().anyMatch(Step::collapsed);
        this.needsWide = steps.stream().anyMatch(st -> !st.collapsed());
    }

    /**
     * Rewrites an expression for java.util.regex: categories become classes of the collapsed alphabet (inside or
     * outside brackets, as llama.cpp does), and an end anchor {@code $} becomes {@code \z}, ECMAScript's meaning.
     */
    static String translate(String expr, boolean collapse) {
        StringBuilder out = new StringBuilder(expr.length() + 32);
        boolean inside = false;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '[' && (i == 0 || expr.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && expr.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (collapse && c == '\\' && i + 3 < expr.length() && expr.charAt(i + 1) == 'p'
                    && expr.charAt(i + 2) == '{') {
                int close = expr.indexOf('}', i + 3);
                Category cat = close < 0 ? null : CATEGORIES.get(expr.substring(i, close + 1));
                if (cat != null) {
                    out.append(inside ? "" : "[").append(String.format("\\x{%X}", (int) cat.standIn()))
                            .append(cat.asciiMembers()).append(inside ? "" : "]");
                    i = close;
                    continue;
                }
            }
            if (c == '\\' && i + 1 < expr.length()) {
                out.append(c).append(expr.charAt(++i));
                continue;
            }
            if (c == '$' && !inside) {
                out.append("\\z");
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    /** Splits {@code text} into words (substrings of it, in order, covering it exactly). */
    List<String> split(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        int[] charOfCp = new int[n + 1];
        for (int i = 0, c = 0; i < n; i++) {
            charOfCp[i] = c;
            c += Character.charCount(cps[i]);
            charOfCp[i + 1] = c;
        }
        String collapsed = needsCollapsed ? collapse(cps) : null;
        String wide = null;
        int[] cpOfChar = null;
        if (needsWide) {
            wide = widen(text);
            cpOfChar = new int[text.length() + 1];
            for (int i = 0; i < n; i++) {
                for (int c = charOfCp[i]; c < charOfCp[i + 1]; c++) {
                    cpOfChar[c] = i;
                }
            }
            cpOfChar[text.length()] = n;
        }

        int[] lengths = {n};
        int count = 1;
        for (Step step : steps) {
            IntList next = new IntList(Math.max(16, count * 2));
            Matcher m = step.pattern().matcher(step.collapsed() ? collapsed : wide);
            int start = 0;
            for (int k = 0; k < count; k++) {
                int len = lengths[k];
                int end = start + len;
                if (step.collapsed()) {
                    m.region(start, end);
                } else {
                    m.region(charOfCp[start], charOfCp[end]);
                }
                int done = start;
                while (m.find()) {
                    int ms = step.collapsed() ? m.start() : cpOfChar[m.start()];
                    int me = step.collapsed() ? m.end() : cpOfChar[m.end()];
                    if (me == ms) {
                        continue;
                    }
                    if (ms > done) {
                        next.add(ms - done);
                    }
                    next.add(me - ms);
                    done = me;
                }
                if (done < end) {
                    next.add(end - done);
                }
                start = end;
            }
            lengths = next.array();
            count = next.size();
        }

        List<String> words = new ArrayList<>(count);
        int start = 0;
        for (int k = 0; k < count; k++) {
            words.add(text.substring(charOfCp[start], charOfCp[start + lengths[k]]));
            start += lengths[k];
        }
        return words;
    }

    /** One character per code point: ASCII as is, else the stand-in for its whitespace-ness or category. */
    private static String collapse(int[] cps) {
        char[] out = new char[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int cp = cps[i];
            if (cp < 128) {
                out[i] = (char) cp;
            } else if (CodepointClass.isWhitespace(cp)) {
                out[i] = WHITESPACE_STAND_IN;
            } else {
                out[i] = switch (CodepointClass.category(cp)) {
                    case CodepointClass.NUMBER -> NUMBER.standIn();
                    case CodepointClass.LETTER -> LETTER.standIn();
                    case CodepointClass.PUNCTUATION -> PUNCTUATION.standIn();
                    case CodepointClass.MARK -> MARK.standIn();
                    case CodepointClass.SYMBOL -> SYMBOL.standIn();
                    default -> OTHER_STAND_IN;
                };
            }
        }
        return new String(out);
    }

    /** The text with non-ASCII whitespace (all of it in the BMP) replaced by U+000B. */
    private static String widen(String text) {
        char[] out = text.toCharArray();
        for (int i = 0; i < out.length; i++) {
            if (out[i] > 0x7F && CodepointClass.isWhitespace(out[i])) {
                out[i] = WHITESPACE_STAND_IN;
            }
        }
        return new String(out);
    }
}
