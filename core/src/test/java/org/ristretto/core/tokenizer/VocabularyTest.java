package org.ristretto.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Special ids, flags and end-of-generation sets as llama.cpp reports them when it loads the same files (its load log
 * lists BOS/EOS/EOT and every EOG token).
 */
class VocabularyTest {
    @Test
    void llama3() {
        Vocabulary v = TokenizerFixtures.load("vocab/llama3-vocab.gguf").vocabulary();
        assertEquals("gpt2", v.model());
        assertEquals("llama-bpe", v.preTokenizer());
        assertEquals(128256, v.size());
        assertEquals(128000, v.bos());
        assertEquals(128001, v.eos());
        assertEquals(128009, v.eot(), "<|eot_id|>, found by its text");
        assertEquals(Vocabulary.NONE, v.unk());
        assertTrue(v.addBos(), "llama-bpe adds BOS by default");
        assertFalse(v.addEos());
        assertArrayEquals(new int[] {128001, 128009}, v.eogIds());
        assertTrue(v.isEog(128009));
        assertFalse(v.isEog(128000));
        assertEquals(TokenType.CONTROL, v.type(128006));
        assertEquals("<|start_header_id|>", v.token(128006));
        assertEquals(128006, v.id("<|start_header_id|>"));
        assertEquals(Vocabulary.NONE, v.id("no such token at all"));
        assertArrayEquals(" world".getBytes(StandardCharsets.UTF_8), v.piece(1917), "Ġworld");
        assertArrayEquals("<|eot_id|>".getBytes(StandardCharsets.UTF_8), v.piece(128009));
    }

    @Test
    void qwen3() {
        Vocabulary v = TokenizerFixtures.load("vocab/qwen3-vocab.gguf").vocabulary();
        assertEquals(151645, v.eos());
        assertEquals(151645, v.eot());
        assertFalse(v.addBos(), "qwen2 adds no BOS");
        assertArrayEquals(new int[] {151643, 151645, 151662, 151663, 151664}, v.eogIds(),
                "<|endoftext|>, <|im_end|>, <|fim_pad|>, <|repo_name|>, <|file_sep|>");
        assertTrue(v.isUserDefined(151667), "<think> is user-defined");
        assertFalse(v.isEog(v.id("</s>")), "a plain-text </s> does not end generation");
    }

    @Test
    void llamaSentencePiece() {
        Vocabulary v = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-llama-spm.gguf").vocabulary();
        assertEquals("llama", v.model());
        assertEquals(1, v.bos());
        assertEquals(2, v.eos());
        assertEquals(0, v.unk());
        assertTrue(v.addBos());
        assertTrue(v.addSpacePrefix());
        assertArrayEquals(new int[] {2}, v.eogIds());
        assertEquals(TokenType.BYTE, v.type(3));
        assertTrue(v.isByte(3));
        assertArrayEquals(new byte[] {0}, v.piece(3), "<0x00>");
        assertArrayEquals(new byte[] {(byte) 0xF0}, v.piece(v.id("<0xF0>")));
        assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), v.piece(v.id("\u2581the")));
        assertTrue(v.score(v.id("\u2581the")) > v.score(v.id("\u2581anti")), "scores rank frequent pieces first");
    }

    @Test
    void phi3EndsTurnsWithEnd() {
        Vocabulary v = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-phi-3.gguf").vocabulary();
        assertEquals(32000, v.eos());
        assertEquals(32007, v.eot(), "<|end|>");
        assertTrue(v.isEog(32000));
        assertTrue(v.isEog(32007));
        assertFalse(v.isEog(32010), "<|user|>");
    }

    @Test
    void gpt2HasOnlyEndOfText() {
        Vocabulary v = TokenizerFixtures.load("llamacpp-vocab/ggml-vocab-gpt-2.gguf").vocabulary();
        assertEquals(50256, v.bos());
        assertEquals(50256, v.eos());
        assertFalse(v.addBos());
        assertArrayEquals(new int[] {50256}, v.eogIds());
    }
}
