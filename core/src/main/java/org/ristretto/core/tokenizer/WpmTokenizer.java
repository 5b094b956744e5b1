package org.ristretto.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.ristretto.core.gguf.GgufMetadata;

/**
 * WordPiece ({@code tokenizer.ggml.model = bert}), as llama.cpp's {@code llm_tokenizer_wpm}: the text is lowercased
 * and stripped of accents (unless {@code tokenizer.ggml.normalizer.*} says otherwise), split at whitespace, with
 * punctuation, ASCII symbols and CJK ideographs as words of their own; each word, prefixed with U+2581, is covered
 * greedily by the longest tokens from the left, and a word that cannot be covered becomes the unknown token. With
 * special tokens, the text is framed by BOS (CLS) and SEP.
 */
final class WpmTokenizer implements Tokenizer {
    private final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final boolean lowercase;
    private final boolean stripAccents;

    WpmTokenizer(Vocabulary vocab, GgufMetadata metadata) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        this.lowercase = metadata.getBool("tokenizer.ggml.normalizer.lowercase", true);
        this.stripAccents = metadata.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        String input = Utf8Text.wellFormed(text);
        IntList out = new IntList(input.length() / 3 + 4);
        if (addSpecial) {
            out.add(require(vocab.bos(), "bos_token_id"));
        }
        for (SpecialTokenSplitter.Fragment f : splitter.split(input, parseSpecial)) {
            if (f.isText()) {
                for (String word : words(input.substring(f.start(), f.end()))) {
                    tokenizeWord(word, out);
                }
            } else {
                out.add(f.token());
            }
        }
        if (addSpecial) {
            out.add(require(vocab.sep(), "seperator_token_id"));
        }
        return out.toArray();
    }

    private static int require(int id, String key) {
        if (id == Vocabulary.NONE) {
            throw new IllegalStateException("a WordPiece vocabulary needs tokenizer.ggml." + key
                    + " to add special tokens");
        }
        return id;
    }

    /** Normalizes and splits as BERT's basic tokenizer does. */
    List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (stripAccents) {
                cp = firstOfDecomposition(cp);
            }
            if (CodepointClass.isWhitespace(cp)) {
                flush(word, words);
                continue;
            }
            int category = CodepointClass.category(cp);
            if (cp == 0 || cp == 0xFFFD || category == CodepointClass.OTHER) {
                continue;
            }
            if (stripAccents && category == CodepointClass.MARK) {
                continue;
            }
            int c = lowercase ? lower(cp) : cp;
            if (category == CodepointClass.PUNCTUATION || (cp < 0x7F && category == CodepointClass.SYMBOL)
                    || isChinese(cp)) {
                flush(word, words);
                words.add(Character.toString(c));
            } else {
                word.appendCodePoint(c);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** llama.cpp's NFD table keeps only the first code point of a canonical decomposition (the base letter). */
    private static int firstOfDecomposition(int cp) {
        if (cp < 0xC0) {
            return cp;
        }
        String s = Character.toString(cp);
        return Normalizer.isNormalized(s, Normalizer.Form.NFD) ? cp
                : Normalizer.normalize(s, Normalizer.Form.NFD).codePointAt(0);
    }

    /** The first code point of the lowercase form, as llama.cpp's table holds it. */
    private static int lower(int cp) {
        String l = Character.toString(cp).toLowerCase(java.util.Locale.ROOT);
        return l.codePointAt(0);
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Covers U+2581 + word with the longest tokens from the left; an uncoverable word is one unknown token. */
    private void tokenizeWord(String word, IntList out) {
        byte[] bytes = ("\u2581" + word).getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        IntList found = new IntList(4);
        for (int i = 0; i < n; ) {
            int matchEnd = -1;
            for (int j = Math.min(n, i + vocab.maxTokenBytes() + 1); j > i; j--) {
                if (j < n && (bytes[j] & 0xC0) == 0x80) {
                    continue; // not a character boundary: no token can end here
                }
                int id = vocab.lookup(new String(bytes, i, j - i, StandardCharsets.UTF_8));
                if (id != Vocabulary.NONE) {
                    found.add(id);
                    matchEnd = j;
                    break;
                }
            }
            if (matchEnd < 0) {
                found = null;
                break;
            }
            i = matchEnd;
        }
        if (found == null || found.size() == 0) {
            if (vocab.unk() != Vocabulary.NONE) {
                out.add(vocab.unk());
            }
        } else {
            out.addAll(found.toArray());
        }
    }
}
