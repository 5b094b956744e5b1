package org.ristretto.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = llama}), as llama.cpp's {@code llm_tokenizer_spm}: spaces
 * become U+2581, a space is put before each run of text when {@code add_space_prefix} says so, the text starts as one
 * symbol per character and the adjacent pair whose concatenation is the best-scoring token is merged until no pair is
 * a token (a priority queue over the pairs; ties go to the leftmost). Characters that are no token become their UTF-8
 * bytes' {@code <0xNN>} tokens.
 */
final class SpmTokenizer implements Tokenizer {
    private static final char ESCAPED_SPACE = '\u2581';

    private final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final int[] byteTokens = new int[256];

    SpmTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.lookup(String.format(Locale.ROOT, "<0x%02X>", b));
            if (id == Vocabulary.NONE && b < 0x80) {
                id = vocab.lookup(String.valueOf((char) b));
            }
            byteTokens[b] = id;
        }
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        String input = Utf8Text.wellFormed(text);
        IntList out = new IntList(input.length() / 3 + 4);
        if (addSpecial && vocab.addBos()) {
            out.add(vocab.bos());
        }
        boolean prevSpecial = true;
        for (SpecialTokenSplitter.Fragment f : splitter.split(input, parseSpecial)) {
            if (f.isText()) {
                String run = input.substring(f.start(), f.end());
                if (vocab.addSpacePrefix() && prevSpecial) {
                    run = " " + run;
                }
                tokenize(run.replace(' ', ESCAPED_SPACE), out);
                prevSpecial = false;
            } else {
                out.add(f.token());
                prevSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.eos());
        }
        return out.toArray();
    }

    /** Merges the characters of one run of text (spaces already escaped) and appends the tokens. */
    private void tokenize(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] end = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, c = 0; i < n; i++) {
            start[i] = c;
            c += Character.charCount(text.codePointAt(c));
            end[i] = c;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap queue = new LongHeap(n);
        for (int i = 1; i < n; i++) {
            offer(text, i - 1, i, start, end, queue);
        }
        while (!queue.isEmpty()) {
            long key = queue.poll();
            int left = (int) key;
            int right = next[left];
            if (start[left] == end[left] || right < 0 || (int) (key >>> 32) != pairKey(text, left, right, start, end)) {
                continue; // stale: one side was merged since this pair was queued
            }
            end[left] = end[right];
            start[right] = end[right];
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offer(text, prev[left], left, start, end, queue);
            offer(text, left, next[left], start, end, queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            emit(text.substring(start[i], end[i]), out);
        }
    }

    private void offer(String text, int left, int right, int[] start, int[] end, LongHeap queue) {
        if (left < 0 || right < 0) {
            return;
        }
        int key = pairKey(text, left, right, start, end);
        if (key != Integer.MIN_VALUE) {
            queue.add((long) key << 32 | left);
        }
    }

    /**
     * A key that orders pairs by descending score of the token they would form, or {@link Integer#MIN_VALUE} when
     * they form none. Two pairs at the same position with equal keys merge the same way, so a queued pair whose key
     * still matches the symbols there is current.
     */
    private int pairKey(String text, int left, int right, int[] start, int[] end) {
        int id = vocab.lookup(text.substring(start[left], end[right]));
        if (id == Vocabulary.NONE) {
            return Integer.MIN_VALUE;
        }
        float score = vocab.score(id);
        int bits = Float.floatToIntBits(-(score == 0f ? 0f : score));
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return sortable == Integer.MIN_VALUE ? Integer.MIN_VALUE + 1 : sortable;
    }

    /** A final symbol: its token, else its bytes' tokens, else the unknown token. */
    private void emit(String symbol, IntList out) {
        int id = vocab.lookup(symbol);
        if (id != Vocabulary.NONE) {
            out.add(id);
            return;
        }
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokens[b & 0xFF] == Vocabulary.NONE) {
                if (vocab.unk() == Vocabulary.NONE) {
                    throw new IllegalStateException("the vocabulary has no token for byte 0x"
                            + Integer.toHexString(b & 0xFF) + " and no unknown token");
                }
                out.add(vocab.unk()); // no byte fallback: the character is unknown, as in SentencePiece
                return;
            }
        }
        for (byte b : bytes) {
            out.add(byteTokens[b & 0xFF]);
        }
    }
}
