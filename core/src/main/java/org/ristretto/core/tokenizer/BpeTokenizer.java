package org.ristretto.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.ristretto.core.gguf.GgufMetadata;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}), as llama.cpp's {@code llm_tokenizer_bpe}: the pre-tokenizer
 * that {@code tokenizer.ggml.pre} names splits the text into words; each word's UTF-8 bytes are spelled in GPT-2's
 * byte alphabet and merged pair by pair, lowest merge rank first (a priority queue over adjacent pairs; ties go to the
 * leftmost). With {@code ignore_merges} (Llama 3) a word that is itself a token is taken whole.
 */
final class BpeTokenizer implements Tokenizer {
    private final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final boolean nfc;
    private final BpeMerges merges;
    /** Token id of each merge piece, or NONE. */
    private final int[] tokenOfPiece;
    /** Piece id of the one-byte symbol for each byte, or -1. */
    private final int[] pieceOfByte = new int[256];
    /** Token id of the one-byte symbol for each byte, or NONE. */
    private final int[] tokenOfByte = new int[256];

    BpeTokenizer(Vocabulary vocab, GgufMetadata metadata) {
        this(vocab, new BpeMerges(metadata));
    }

    /** With the merge table of the same metadata, already built. */
    BpeTokenizer(Vocabulary vocab, BpeMerges merges) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        BpePreset preset = BpePreset.forName(vocab.preTokenizer()).orElseThrow();
        this.preTokenizer = new PreTokenizer(preset.expressions());
        this.ignoreMerges = preset.ignoreMerges();
        this.nfc = preset.nfc();
        this.merges = merges;
        this.tokenOfPiece = new int[merges.pieceCount()];
        for (int p = 0; p < tokenOfPiece.length; p++) {
            tokenOfPiece[p] = vocab.lookup(merges.piece(p));
        }
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteUnicode.charOf(b));
            pieceOfByte[b] = merges.pieceId(c);
            tokenOfByte[b] = vocab.lookup(c);
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
        Map<String, int[]> cache = new HashMap<>();
        Word word = new Word();
        for (SpecialTokenSplitter.Fragment f : splitter.split(input, parseSpecial)) {
            if (!f.isText()) {
                out.add(f.token());
                continue;
            }
            String run = input.substring(f.start(), f.end());
            if (nfc) {
                run = Normalizer.normalize(run, Normalizer.Form.NFC);
            }
            for (String w : preTokenizer.split(run)) {
                int[] ids = cache.get(w);
                if (ids == null) {
                    ids = encodeWord(w.getBytes(StandardCharsets.UTF_8), word);
                    cache.put(w, ids);
                }
                out.addAll(ids);
            }
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.eos());
        }
        return out.toArray();
    }

    /** Reusable symbol arrays for one word at a time: a doubly linked list over the word's bytes. */
    private static final class Word {
        int[] piece = new int[64];
        int[] start = new int[64];
        int[] end = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        final LongHeap queue = new LongHeap(64);

        void ensure(int n) {
            if (piece.length < n) {
                int c = Math.max(n, piece.length * 2);
                piece = new int[c];
                start = new int[c];
                end = new int[c];
                prev = new int[c];
                next = new int[c];
            }
        }
    }

    private int[] encodeWord(byte[] bytes, Word w) {
        if (ignoreMerges) {
            int id = vocab.lookup(ByteUnicode.encode(bytes));
            if (id != Vocabulary.NONE) {
                return new int[] {id};
            }
        }
        int n = bytes.length;
        w.ensure(n);
        for (int i = 0; i < n; i++) {
            w.piece[i] = pieceOfByte[bytes[i] & 0xFF];
            w.start[i] = i;
            w.end[i] = i + 1;
            w.prev[i] = i - 1;
            w.next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap queue = w.queue;
        queue.clear();
        for (int i = 1; i < n; i++) {
            offer(w, i - 1, i);
        }
        while (!queue.isEmpty()) {
            long key = queue.poll();
            int left = (int) key;
            int right = w.next[left];
            if (w.start[left] == w.end[left] || right < 0) {
                continue;
            }
            long merge = mergeOf(w, left, right);
            if (merge == BpeMerges.NO_MERGE || (merge >>> 32) != (key >>> 32)) {
                continue; // stale: one side was merged since this pair was queued
            }
            w.piece[left] = (int) merge;
            w.end[left] = w.end[right];
            w.start[right] = w.end[right];
            w.next[left] = w.next[right];
            if (w.next[right] >= 0) {
                w.prev[w.next[right]] = left;
            }
            offer(w, w.prev[left], left);
            offer(w, left, w.next[left]);
        }
        IntList ids = new IntList(4);
        for (int i = 0; i != -1; i = w.next[i]) {
            emit(bytes, w, i, ids);
        }
        return ids.toArray();
    }

    private long mergeOf(Word w, int left, int right) {
        int l = w.piece[left];
        int r = w.piece[right];
        return l < 0 || r < 0 ? BpeMerges.NO_MERGE : merges.find(l, r);
    }

    private void offer(Word w, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        long merge = mergeOf(w, left, right);
        if (merge != BpeMerges.NO_MERGE) {
            w.queue.add((merge & 0xFFFFFFFF00000000L) | left);
        }
    }

    /**
     * A final symbol's token; a symbol that is no token (only in inconsistent vocabularies) becomes its bytes'
     * tokens, and bytes without one are dropped, as llama.cpp drops them.
     */
    private void emit(byte[] bytes, Word w, int i, IntList ids) {
        int p = w.piece[i];
        int id = p >= 0 ? tokenOfPiece[p] : Vocabulary.NONE;
        if (id == Vocabulary.NONE) {
            byte[] symbol = Arrays.copyOfRange(bytes, w.start[i], w.end[i]);
            id = vocab.lookup(ByteUnicode.encode(symbol));
        }
        if (id != Vocabulary.NONE) {
            ids.add(id);
            return;
        }
        for (int k = w.start[i]; k < w.end[i]; k++) {
            int t = tokenOfByte[bytes[k] & 0xFF];
            if (t != Vocabulary.NONE) {
                ids.add(t);
            }
        }
    }
}
