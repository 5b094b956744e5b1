package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.gguf.GgufValue;

/** Metadata a tokenizer cannot be built from is refused with a message naming the key and the value. */
class TokenizerMetadataErrorsTest {
    /** A tiny byte-level BPE vocabulary: a, b, ab and one merge. */
    private static Map<String, GgufValue> bpe() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString("gpt-2"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("a", "b", "ab", "Ġ")));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings("a b")));
        return m;
    }

    private static GgufMetadataException refused(Map<String, GgufValue> m) {
        return assertThrows(GgufMetadataException.class, () -> Tokenizer.fromGguf(new GgufMetadata("test.gguf", m)));
    }

    @Test
    void aTinyVocabularyWorks() {
        Tokenizer t = Tokenizer.fromGguf(new GgufMetadata("test.gguf", bpe()));
        // words "ab" and " ab"; the space is Ġ and has no merge with a
        assertArrayEquals(new int[] {2, 3, 2}, t.encode("ab ab", false, false));
        assertArrayEquals(new int[] {1, 0}, t.encode("ba", false, false), "b a do not merge");
        assertEquals("ab ab", t.decode(new int[] {2, 3, 2}));
    }

    @Test
    void unknownModelIsNamed() {
        Map<String, GgufValue> m = bpe();
        m.put("tokenizer.ggml.model", GgufValue.ofString("rwkv"));
        GgufMetadataException e = refused(m);
        assertTrue(e.getMessage().contains("tokenizer.ggml.model 'rwkv'"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerIsNamedNotGuessed() {
        Map<String, GgufValue> m = bpe();
        m.put("tokenizer.ggml.pre", GgufValue.ofString("my-new-model"));
        GgufMetadataException e = refused(m);
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre 'my-new-model'"), e.getMessage());
    }

    @Test
    void missingPiecesAreNamed() {
        Map<String, GgufValue> noMerges = bpe();
        noMerges.remove("tokenizer.ggml.merges");
        assertTrue(refused(noMerges).getMessage().contains("tokenizer.ggml.merges"));
        Map<String, GgufValue> noTokens = bpe();
        noTokens.remove("tokenizer.ggml.tokens");
        assertTrue(refused(noTokens).getMessage().contains("'tokenizer.ggml.tokens' is missing"));
        Map<String, GgufValue> noModel = bpe();
        noModel.remove("tokenizer.ggml.model");
        assertTrue(refused(noModel).getMessage().contains("tokenizer.ggml.model"));
    }

    @Test
    void malformedArraysAreRefused() {
        Map<String, GgufValue> shortScores = bpe();
        shortScores.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(0f)));
        assertTrue(refused(shortScores).getMessage().contains("tokenizer.ggml.scores has 1 entries but there are 4"));
        Map<String, GgufValue> typesAsFloats = bpe();
        typesAsFloats.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofFloats(1f, 1f, 1f, 1f)));
        assertTrue(refused(typesAsFloats).getMessage().contains("token_type should be an array of INT32"));
        Map<String, GgufValue> duplicate = bpe();
        duplicate.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("a", "b", "a")));
        assertTrue(refused(duplicate).getMessage().contains("holds 'a' twice, at 0 and 2"));
    }

    @Test
    void addingAnAbsentBosIsRefused() {
        Map<String, GgufValue> m = bpe();
        m.put("tokenizer.ggml.pre", GgufValue.ofString("chatglm-bpe"));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true));
        assertTrue(refused(m).getMessage().contains("add_bos_token is true, but tokenizer.ggml.bos_token_id"));
    }

    @Test
    void outOfRangeSpecialIdsFallBackToTheDefault() {
        Map<String, GgufValue> m = bpe();
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(99));
        Vocabulary v = Vocabulary.fromGguf(new GgufMetadata("test.gguf", m));
        assertEquals(Vocabulary.NONE, v.eos(), "gpt2's default 11 is outside these 4 tokens too");
        assertThrows(IndexOutOfBoundsException.class, () -> v.token(4));
    }
}
