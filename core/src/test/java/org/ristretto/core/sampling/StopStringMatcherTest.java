package org.ristretto.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {

    @Test
    void withoutStopsEverythingPassesAtOnce() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertEquals("Hello", m.feed("Hello"));
        assertEquals(" world", m.feed(" world"));
        assertEquals("", m.flush());
        assertFalse(m.stopped());
    }

    @Test
    void aStopSpanningPiecesIsHeldThenSwallowed() {
        StopStringMatcher m = new StopStringMatcher(List.of("</s>"));
        assertEquals("Hello ", m.feed("Hello <"));
        assertEquals("", m.feed("/"));
        assertEquals("", m.feed("s"));
        assertFalse(m.stopped());
        assertEquals("", m.feed(">tail"));
        assertTrue(m.stopped());
        assertEquals(Optional.of("</s>"), m.matchedStop());
        assertEquals("", m.flush(), "neither the stop string nor what follows it is shown");
    }

    @Test
    void aFalseStartIsReleasedWhenItStopsMatching() {
        StopStringMatcher m = new StopStringMatcher(List.of("</s>"));
        assertEquals("a ", m.feed("a <"));
        assertEquals("</b", m.feed("/b"));
        assertEquals("", m.feed("<"));
        assertEquals("<", m.flush());
    }

    @Test
    void overlappingPrefixesAreNotLost() {
        StopStringMatcher one = new StopStringMatcher(List.of("aab"));
        StringBuilder shown = new StringBuilder();
        for (String piece : new String[] {"a", "a", "a", "b", "c"}) {
            if (one.stopped()) {
                break;
            }
            shown.append(one.feed(piece));
        }
        assertTrue(one.stopped());
        assertEquals("a", shown.toString(), "'aaab' ends in 'aab': one 'a' is text");

        StopStringMatcher two = new StopStringMatcher(List.of("ab", "aab"));
        assertEquals("x", two.feed("xa"));
        assertEquals("", two.feed("a"), "'aa' may still become 'aab'");
        assertEquals("", two.feed("b"));
        assertEquals(Optional.of("aab"), two.matchedStop(), "'aab' starts before 'ab'");
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopStringMatcher m = new StopStringMatcher(List.of("B", "A"));
        assertEquals("x", m.feed("xAyB"));
        assertEquals(Optional.of("A"), m.matchedStop());

        StopStringMatcher chat = new StopStringMatcher(List.of("\n\n", "User:"));
        assertEquals("Hi\n", chat.feed("Hi\nUs"));
        assertEquals("", chat.feed("er: more"));
        assertEquals(Optional.of("User:"), chat.matchedStop());
    }

    @Test
    void textBeforeAStopInsideOnePieceIsShown() {
        StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
        assertEquals("abc ", m.feed("abc STOP def"));
        assertThrows(IllegalStateException.class, () -> m.feed("more"));
    }

    @Test
    void flushReturnsWhatWasHeldBack() {
        StopStringMatcher m = new StopStringMatcher(List.of("</s>", "###"));
        assertEquals("end ", m.feed("end <"));
        assertEquals("<", m.feed("#"));
        assertEquals("#", m.flush());
        assertEquals("", m.flush());
    }

    @Test
    void aSplitSurrogatePairIsHeldWhole() {
        StopStringMatcher m = new StopStringMatcher(List.of("x"));
        assertEquals("a", m.feed("a\uD83D"));
        assertEquals("\uD83D\uDE00b", m.feed("\uDE00b"));
    }

    @Test
    void emptyStopStringsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StopStringMatcher(List.of("ok", "")));
        assertTrue(e.getMessage().contains("stop string 1 is empty"), e.getMessage());
    }
}
