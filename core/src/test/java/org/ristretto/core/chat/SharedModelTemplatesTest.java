package org.ristretto.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.core.chat.Conversations.FOUR_TURNS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.testutil.SharedModels;

/**
 * Every chat template in the outside test data (Hugging Face tokenizer_config.json files and GGUFs) renders the
 * four-turn conversation into exactly the prompt its model family documents. The expected texts are written out by
 * hand from each family's published prompt format, not produced by this code.
 */
class SharedModelTemplatesTest {

    /**
     * Llama 3 (Meta's format): BOS, then per message a role header, a blank line, the text and {@code <|eot_id|>}.
     * The template in this tokenizer_config.json (and the GGUF made from it) appends the open assistant header
     * whatever add_generation_prompt says, so both renderings end with it.
     */
    static final String LLAMA3 = "<|begin_of_text|>"
            + "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n";

    /** Qwen3 (ChatML): {@code <|im_start|>role\ntext<|im_end|>\n}, no BOS; the generation prompt opens a turn. */
    static final String QWEN3_CLOSED = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi! How can I help?<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n";
    static final String QWEN3_OPEN = QWEN3_CLOSED + "<|im_start|>assistant\n";

    /**
     * Phi-3 (Microsoft's format): BOS, {@code <|user|>\ntext<|end|>\n<|assistant|>\n} and the answer followed by
     * {@code <|end|>\n}. This early Phi-3 template knows only the user and assistant roles and leaves the system
     * message out; it opens the assistant turn after every user turn, so add_generation_prompt changes nothing.
     */
    static final String PHI3 = "<s><|user|>\nHello!<|end|>\n<|assistant|>\n"
            + "Hi! How can I help?<|end|>\n"
            + "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n";

    /** Expected renderings (add_generation_prompt true, false) per template source. */
    static final Map<String, List<String>> EXPECTED = Map.of(
            "hf-tokenizers/llama3/tokenizer_config.json", List.of(LLAMA3, LLAMA3),
            "hf-tokenizers/qwen3/tokenizer_config.json", List.of(QWEN3_OPEN, QWEN3_CLOSED),
            "vocab/llama3-vocab.gguf", List.of(LLAMA3, LLAMA3),
            "vocab/qwen3-vocab.gguf", List.of(QWEN3_OPEN, QWEN3_CLOSED),
            "llamacpp-vocab/ggml-vocab-phi-3.gguf", List.of(PHI3, PHI3));

    @Test
    void everyTokenizerConfigTemplateRendersTheDocumentedPrompt() throws IOException {
        Path dir = SharedModels.require("hf-tokenizers");
        List<String> checked = new ArrayList<>();
        for (Path config : files(dir, "tokenizer_config.json")) {
            String key = "hf-tokenizers/" + dir.relativize(config).toString().replace('\\', '/');
            if (!Files.readString(config).contains("\"chat_template\"")) {
                ChatTemplateException e = assertThrows(ChatTemplateException.class,
                        () -> ChatTemplates.fromTokenizerConfig(config));
                assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
                continue;
            }
            ChatTemplate template = ChatTemplates.fromTokenizerConfig(config);
            assertRendersExpected(key, template);
            checked.add(key);
        }
        assertEquals(List.of("hf-tokenizers/llama3/tokenizer_config.json",
                "hf-tokenizers/qwen3/tokenizer_config.json"), checked.stream().sorted().toList());
    }

    @Test
    void everyGgufTemplateRendersTheDocumentedPrompt() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String folder : List.of("vocab", "llamacpp-vocab")) {
            Path dir = SharedModels.require(folder);
            for (Path gguf : files(dir, ".gguf")) {
                String key = folder + "/" + gguf.getFileName();
                try (GgufFile file = GgufFile.open(gguf)) {
                    if (!file.metadata().contains(ChatTemplates.GGUF_KEY)) {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> ChatTemplates.resolve(file.metadata(), null));
                        assertTrue(e.getMessage().contains("chatml, gemma, llama2, llama3, mistral"), e.getMessage());
                        continue;
                    }
                    assertRendersExpected(key, ChatTemplates.resolve(file.metadata(), null));
                    checked.add(key);
                }
            }
        }
        assertEquals(List.of("llamacpp-vocab/ggml-vocab-phi-3.gguf", "vocab/llama3-vocab.gguf",
                "vocab/qwen3-vocab.gguf"), checked.stream().sorted().toList());
    }

    @Test
    void ggufSpecialTokensComeFromTheVocabulary() throws IOException {
        try (GgufFile llama3 = GgufFile.open(SharedModels.require("vocab/llama3-vocab.gguf"));
                GgufFile qwen3 = GgufFile.open(SharedModels.require("vocab/qwen3-vocab.gguf"))) {
            ChatTemplate l = ChatTemplates.resolve(llama3.metadata(), null);
            assertEquals("<|begin_of_text|>", l.bosToken());
            assertEquals("<|end_of_text|>", l.eosToken());
            ChatTemplate q = ChatTemplates.resolve(qwen3.metadata(), null);
            assertEquals("", q.bosToken(), "qwen3-vocab.gguf names no BOS token");
            assertEquals("<|im_end|>", q.eosToken());
        }
    }

    private static void assertRendersExpected(String key, ChatTemplate template) {
        List<String> expected = EXPECTED.get(key);
        assertFalse(expected == null, "no expected rendering written for " + key);
        assertEquals(expected.get(0), template.render(FOUR_TURNS, true), key + " with add_generation_prompt");
        assertEquals(expected.get(1), template.render(FOUR_TURNS, false), key + " without add_generation_prompt");
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
