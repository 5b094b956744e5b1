package org.ristretto.core.sampling;

import java.util.List;
import java.util.Optional;

/**
 * Finds stop strings in generated text that arrives piece by piece, and says which text is safe to show.
 *
 * <p>A stop string may span pieces, so text that could be the start of one is held back until the following pieces
 * settle it. When a stop string completes, the text before it is released and the stop string itself (and anything
 * after it) never is; when several complete, the one that starts first wins, as in llama.cpp's server. At the end of
 * generation, {@link #flush()} releases what is still held back. A surrogate pair split across pieces is held back
 * whole, so released text never ends in half a character.
 *
 * <p>Not thread-safe: one matcher per generation.
 */
public final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    /**
     * @param stops the stop strings; none may be empty
     */
    public StopStringMatcher(List<String> stops) {
        for (int i = 0; i < stops.size(); i++) {
            String s = stops.get(i);
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop string " + i + " is empty: it would match before any text");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /**
     * Takes the next piece of generated text.
     *
     * @return the text that can be shown now (possibly empty)
     * @throws IllegalStateException if a stop string has already matched
     */
    public String feed(String piece) {
        if (matched != null) {
            throw new IllegalStateException("stop string \"" + matched + "\" already matched: generation should end");
        }
        held.append(piece);
        int stopAt = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
                matched = s;
            }
        }
        if (stopAt >= 0) {
            String out = held.substring(0, stopAt);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        int release = held.length() - keep;
        if (release > 0 && Character.isHighSurrogate(held.charAt(release - 1))) {
            release--;
        }
        String out = held.substring(0, release);
        held.delete(0, release);
        return out;
    }

    /** Whether a stop string has completed. */
    public boolean stopped() {
        return matched != null;
    }

    /** The stop string that completed, if one did. */
    public Optional<String> matchedStop() {
        return Optional.ofNullable(matched);
    }

    /**
     * Ends the text: returns what was held back because it could have begun a stop string (empty once a stop string
     * matched, since the text after it is never shown).
     */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** The length of the longest end of the held text that is a proper beginning of some stop string. */
    private int longestSuffixThatStartsAStop() {
        int n = held.length();
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(n, s.length() - 1); len > best; len--) {
                if (regionMatches(n - len, s, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    private boolean regionMatches(int from, String s, int len) {
        for (int i = 0; i < len; i++) {
            if (held.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
