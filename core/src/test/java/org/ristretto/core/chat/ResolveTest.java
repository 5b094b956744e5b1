package org.ristretto.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.core.chat.Conversations.FOUR_TURNS;
import static org.ristretto.core.chat.Conversations.THREE_TURNS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufValue;
import org.ristretto.core.testutil.SharedModels;

/** {@link ChatTemplates#resolve}: the GGUF's template, a built-in NAME, a named GGUF template, a FILE, and errors. */
class ResolveTest {
    @TempDir
    Path dir;

    /** A vocabulary of four tokens with BOS 1 and EOS 2, and the given extra keys. */
    private static GgufMetadata metadata(Map<String, GgufValue> extra) {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>", "<s>", "</s>", "a")));
        values.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        values.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
        values.putAll(extra);
        return new GgufMetadata("test.gguf", values);
    }

    @Test
    void nullOverrideTakesTheGgufTemplateWithItsSpecialTokens() {
        GgufMetadata m = metadata(Map.of(ChatTemplates.GGUF_KEY,
                GgufValue.ofString("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}"
                        + "{{ eos_token }}")));
        assertEquals("<s>user:Hello!;assistant:Hi! How can I help?;user:What is 2+2?;</s>",
                ChatTemplates.resolve(m, null).render(THREE_TURNS, true));
    }

    @Test
    void nullOverrideWithoutGgufTemplateListsTheChoices() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.resolve(metadata(Map.of()), null));
        assertTrue(e.getMessage().contains("no tokenizer.chat_template"), e.getMessage());
        assertTrue(e.getMessage().contains("chatml, gemma, llama2, llama3, mistral"), e.getMessage());
    }

    @Test
    void builtInNameUsesTheGgufSpecialTokens() {
        ChatTemplate t = ChatTemplates.resolve(metadata(Map.of()), "llama2");
        assertEquals("<s>[INST] Hello! [/INST] Hi! How can I help? </s><s>[INST] What is 2+2? [/INST]",
                t.render(THREE_TURNS, true));
        assertEquals("<s>", t.bosToken());
        assertEquals("</s>", t.eosToken());
        assertEquals("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplates.resolve(metadata(Map.of()), "ChatML").render(List.of(ChatMessage.user("Hello!")), true));
    }

    @Test
    void builtInNameWinsOverTheGgufTemplate() {
        GgufMetadata m = metadata(Map.of(ChatTemplates.GGUF_KEY, GgufValue.ofString("gguf")));
        assertEquals("<s>[INST] Hello! [/INST]", ChatTemplates.resolve(m, "mistral")
                .render(List.of(ChatMessage.user("Hello!")), true));
    }

    @Test
    void namedGgufTemplateIsSelectable() {
        GgufMetadata m = metadata(Map.of(
                ChatTemplates.GGUF_KEY, GgufValue.ofString("default"),
                ChatTemplates.GGUF_KEY + ".tool_use", GgufValue.ofString("tools for {{ messages|length }}")));
        assertEquals(List.of("tool_use"), ChatTemplates.ggufTemplateNames(m));
        assertEquals("tools for 3", ChatTemplates.resolve(m, "tool_use").render(THREE_TURNS, true));
        assertEquals("default", ChatTemplates.resolve(m, null).render(THREE_TURNS, true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplates.resolve(m, "rag"));
        assertTrue(e.getMessage().contains("unknown chat template 'rag'"), e.getMessage());
        assertTrue(e.getMessage().contains("named templates tool_use"), e.getMessage());
    }

    @Test
    void jinjaFile() throws IOException {
        Path file = dir.resolve("mine.jinja");
        Files.writeString(file, "{% for m in messages %}[{{ m.role|upper }}] {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}[ASSISTANT] {% endif %}");
        ChatTemplate t = ChatTemplates.resolve(metadata(Map.of()), file.toString());
        assertEquals("[USER] Hello!\n[ASSISTANT] Hi! How can I help?\n[USER] What is 2+2?\n[ASSISTANT] ",
                t.render(THREE_TURNS, true));
        assertEquals(file.toString(), t.name());
    }

    @Test
    void tokenizerConfigFileWithAStringTemplate() {
        Path config = SharedModels.require("hf-tokenizers/qwen3/tokenizer_config.json");
        ChatTemplate t = ChatTemplates.resolve(metadata(Map.of()), config.toString());
        assertEquals(SharedModelTemplatesTest.QWEN3_OPEN, t.render(FOUR_TURNS, true));
    }

    @Test
    void tokenizerConfigFileWithNamedTemplates() throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, """
                {"bos_token": {"content": "<B>", "lstrip": false}, "eos_token": "<E>",
                 "chat_template": [{"name": "tool_use", "template": "tools"},
                                   {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}
                """);
        assertEquals("<s>Hello!</s>", ChatTemplates.resolve(metadata(Map.of()), config.toString())
                .render(THREE_TURNS, false), "resolve() takes the special tokens from the GGUF");
        assertEquals("<B>Hello!<E>", ChatTemplates.fromTokenizerConfig(config).render(THREE_TURNS, false),
                "fromTokenizerConfig() takes them from the file");
    }

    @Test
    void missingFileIsNamed() {
        String missing = dir.resolve("nowhere/template.jinja").toString();
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.resolve(metadata(Map.of()), missing));
        assertEquals("chat template file not found: " + missing, e.getMessage());
        assertThrows(ChatTemplateException.class, () -> ChatTemplates.resolve(metadata(Map.of()), "my.jinja"));
    }

    @Test
    void unknownNameListsTheChoices() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.resolve(metadata(Map.of()), "vicuna"));
        assertEquals("unknown chat template 'vicuna': expected one of the built-in names chatml, gemma, llama2, "
                + "llama3, mistral, or the path of a .jinja file or a tokenizer_config.json", e.getMessage());
    }

    @Test
    void badFilesAreNamed() throws IOException {
        Path noTemplate = dir.resolve("no_template.json");
        Files.writeString(noTemplate, "{\"bos_token\": \"<s>\"}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.resolve(metadata(Map.of()), noTemplate.toString()));
        assertEquals(noTemplate + " has no chat_template", e.getMessage());

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"chat_template\": ");
        e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.resolve(metadata(Map.of()), broken.toString()));
        assertTrue(e.getMessage().startsWith(broken + ": not valid JSON at line 1"), e.getMessage());
    }

    @Test
    void specialTokenIdOutsideTheVocabularyIsAClearError() {
        GgufMetadata m = metadata(Map.of("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(9)));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplates.resolve(m, "chatml"));
        assertEquals("metadata key 'tokenizer.ggml.eos_token_id' = 9 is not a token id: 'tokenizer.ggml.tokens' has "
                + "4 entries", e.getMessage());
    }
}
