package org.ristretto.core.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.ristretto.core.concurrent.Background;
import org.ristretto.core.gguf.GgufMetadata;

/**
 * The merge table of a byte-level BPE vocabulary ({@code tokenizer.ggml.merges}, one {@code "left right"} string per
 * merge, rank = position). Every distinct left or right side gets a small integer (a piece id), so that looking up a
 * pair is one probe of a primitive hash table keyed by the two piece ids. The first of duplicate merges wins, as in
 * llama.cpp. What a merge makes (the piece id of the two sides' text joined) is looked up the first time the merge is
 * found, not while the table is built: encoding meets a few thousand of the 280 000 merges of a llama-3 vocabulary,
 * and joining and looking up all of them was about 40% of building the table in a cold JVM. Safe for several
 * threads: a merge's result is one int, written by whichever thread finds it first, always the same value.
 */
final class BpeMerges {
    /** Returned by {@link #find} when two pieces do not merge. */
    static final long NO_MERGE = Long.MIN_VALUE;

    private final Map<String, Integer> pieceIds;
    private final String[] pieces;
    private final long[] keys;
    private final int[] ranks;
    /** The piece id each merge makes, -1 for a text that is no merge side, {@link #UNKNOWN} until first found. */
    private final int[] results;
    private final int mask;
    private static final int UNKNOWN = -2;

    BpeMerges(GgufMetadata metadata) {
        String[] merges = metadata.getStringArray("tokenizer.ggml.merges");
        // Sized for about as many distinct sides as merges, so that the map never rehashes while it fills.
        pieceIds = HashMap.newHashMap(merges.length);
        int[] left = new int[merges.length];
        int[] right = new int[merges.length];
        for (int i = 0; i < merges.length; i++) {
            String m = merges[i];
            int space = m.indexOf(' ', 1);
            if (space < 0) {
                left[i] = -1; // llama.cpp files such a line under an empty pair that never matches
                continue;
            }
            left[i] = intern(m.substring(0, space));
            right[i] = intern(m.substring(space + 1));
        }
        pieces = new String[pieceIds.size()];
        pieceIds.forEach((text, id) -> pieces[id] = text);
        int capacity = Integer.highestOneBit(Math.max(16, merges.length * 2)) * 2;
        keys = new long[capacity];
        ranks = new int[capacity];
        results = new int[capacity];
        Arrays.fill(keys, -1L);
        Arrays.fill(results, UNKNOWN);
        mask = capacity - 1;
        for (int rank = 0; rank < merges.length; rank++) {
            if (left[rank] >= 0) {
                putIfAbsent(pairKey(left[rank], right[rank]), rank);
            }
        }
    }

    /**
     * Starts building the merge table of a {@code gpt2} vocabulary on a second thread, or returns null when the
     * metadata names another tokenizer or has no merges (the vocabulary reader then says what is wrong). Indexing
     * the 280 000 merges of a llama-3 or qwen vocabulary takes a few hundred milliseconds in a cold JVM, about as
     * long as everything else in reading the vocabulary, so the two run at once.
     */
    static Background<BpeMerges> startBuilding(GgufMetadata metadata) {
        if (!metadata.findString("tokenizer.ggml.model").orElse("").equals("gpt2")
                || metadata.findArray("tokenizer.ggml.merges").isEmpty()) {
            return null;
        }
        return Background.start("ristretto-bpe-merges", () -> new BpeMerges(metadata));
    }

    private int intern(String piece) {
        Integer id = pieceIds.get(piece);
        if (id == null) {
            id = pieceIds.size();
            pieceIds.put(piece, id);
        }
        return id;
    }

    /** The number of distinct merge sides. */
    int pieceCount() {
        return pieces.length;
    }

    /** The piece id of a merge side, or -1 if no merge has this text on either side. */
    int pieceId(String text) {
        Integer id = pieceIds.get(text);
        return id == null ? -1 : id;
    }

    /** The text of a piece id. */
    String piece(int id) {
        return pieces[id];
    }

    /**
     * The merge of two pieces: rank in the high 32 bits, the piece id of the result in the low 32 (-1 when the result
     * is no merge side, so it merges no further), or {@link #NO_MERGE}.
     */
    long find(int leftPiece, int rightPiece) {
        long key = pairKey(leftPiece, rightPiece);
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                int result = results[i];
                if (result == UNKNOWN) {
                    Integer id = pieceIds.get(pieces[leftPiece] + pieces[rightPiece]);
                    result = id == null ? -1 : id;
                    results[i] = result;
                }
                return (long) ranks[i] << 32 | (result & 0xFFFFFFFFL);
            }
            if (k == -1L) {
                return NO_MERGE;
            }
        }
    }

    private void putIfAbsent(long key, int rank) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return;
            }
            if (keys[i] == -1L) {
                keys[i] = key;
                ranks[i] = rank;
                return;
            }
        }
    }

    private static long pairKey(int left, int right) {
        return (long) left << 32 | right;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }
}
