package org.ristretto.core.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts special tokens written in the text out of it before the model's tokenizer runs, as llama.cpp's
 * {@code tokenizer_st_partition} does: special tokens are tried longest first; each one is found left to right in
 * every stretch of text not yet cut, never inside another special token. Control and unknown tokens are only looked
 * for when special tokens are parsed; user-defined tokens always are. Tokens marked to strip whitespace on their left
 * or right take the ASCII whitespace there with them.
 */
final class SpecialTokenSplitter {
    /**
     * A stretch of the input: text {@code [start, end)} still to tokenize when {@code token} is
     * {@link Vocabulary#NONE}, else a special token found there.
     */
    record Fragment(int start, int end, int token) {
        boolean isText() {
            return token == Vocabulary.NONE;
        }
    }

    private final Vocabulary vocab;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment(0, text.length(), Vocabulary.NONE));
        for (int id : vocab.specialTokensByLength()) {
            int attr = vocab.attr(id);
            if (!parseSpecial && (attr & (TokenAttr.CONTROL | TokenAttr.UNKNOWN)) != 0) {
                continue;
            }
            String special = vocab.token(id);
            int first = text.indexOf(special);
            if (first < 0) {
                continue;
            }
            int[] found = occurrences(text, special, first);
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f.isText()) {
                    cut(text, f, id, special.length(), attr, found, next);
                } else {
                    next.add(f);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    /** Every start of {@code special} in {@code text}, overlapping ones included, ascending. */
    private static int[] occurrences(String text, String special, int first) {
        IntList at = new IntList(8);
        for (int p = first; p >= 0; p = text.indexOf(special, p + 1)) {
            at.add(p);
        }
        return at.toArray();
    }

    private static void cut(String text, Fragment f, int id, int len, int attr, int[] found, List<Fragment> out) {
        int start = f.start();
        int end = f.end();
        int k = lowerBound(found, start);
        while (true) {
            while (k < found.length && found[k] < start) {
                k++;
            }
            if (k == found.length || found[k] + len > end) {
                if (start < end) {
                    out.add(new Fragment(start, end, Vocabulary.NONE));
                }
                return;
            }
            int match = found[k];
            int leftEnd = match;
            if ((attr & TokenAttr.LSTRIP) != 0) {
                while (leftEnd > start && isAsciiSpace(text.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > start) {
                out.add(new Fragment(start, leftEnd, Vocabulary.NONE));
            }
            out.add(new Fragment(match, match + len, id));
            start = match + len;
            if ((attr & TokenAttr.RSTRIP) != 0) {
                while (start < end && isAsciiSpace(text.charAt(start))) {
                    start++;
                }
            }
        }
    }

    private static int lowerBound(int[] a, int key) {
        int i = Arrays.binarySearch(a, key);
        return i >= 0 ? i : -i - 1;
    }

    /** C's {@code isspace} in the C locale. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
