package org.ristretto.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ristretto.core.chat.Conversations.FOUR_TURNS;
import static org.ristretto.core.chat.Conversations.NOT_ALTERNATING;
import static org.ristretto.core.chat.Conversations.THREE_TURNS;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The built-in templates against each family's documented prompt format, written out by hand: with and without a
 * system message, with add_generation_prompt on and off, with surrounding whitespace, and refusing turns that do not
 * alternate where the format requires alternation.
 */
class BuiltInTemplatesTest {

    @Test
    void namesAreListed() {
        assertEquals(List.of("chatml", "gemma", "llama2", "llama3", "mistral"), ChatTemplates.builtInNames());
    }

    @Test
    void llama2() {
        ChatTemplate t = ChatTemplates.builtIn("llama2", "<s>", "</s>");
        // Meta: system text inside the first [INST] between <<SYS>> markers; every answer ends with EOS, and the
        // next exchange starts with BOS. The open [INST] ... [/INST] is the generation prompt.
        String expected = "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! [/INST]"
                + " Hi! How can I help? </s><s>[INST] What is 2+2? [/INST]";
        assertEquals(expected, t.render(FOUR_TURNS, true));
        assertEquals(expected, t.render(FOUR_TURNS, false));
        assertEquals("<s>[INST] Hello! [/INST] Hi! How can I help? </s><s>[INST] What is 2+2? [/INST]",
                t.render(THREE_TURNS, true));
        assertRefusesNonAlternatingTurns(t);
    }

    @Test
    void llama3() {
        ChatTemplate t = ChatTemplates.builtIn("llama3", "<|begin_of_text|>", "<|eot_id|>");
        String closed = "<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>";
        assertEquals(closed + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render(FOUR_TURNS, true));
        assertEquals(closed, t.render(FOUR_TURNS, false));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>", t.render(THREE_TURNS, false));
    }

    @Test
    void chatml() {
        ChatTemplate t = ChatTemplates.builtIn("chatml", "", "<|im_end|>");
        String closed = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHello!<|im_end|>\n"
                + "<|im_start|>assistant\nHi! How can I help?<|im_end|>\n"
                + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n";
        assertEquals(closed + "<|im_start|>assistant\n", t.render(FOUR_TURNS, true));
        assertEquals(closed, t.render(FOUR_TURNS, false));
        // ChatML keeps the text as it is, whitespace included.
        assertEquals("<|im_start|>user\n  spaced \n<|im_end|>\n",
                t.render(List.of(ChatMessage.user("  spaced \n")), false));
    }

    @Test
    void mistral() {
        ChatTemplate t = ChatTemplates.builtIn("mistral", "<s>", "</s>");
        // Mistral: BOS [INST] instruction [/INST] answer EOS [INST] follow-up [/INST]; the system text goes in
        // front of the first instruction after a blank line.
        String expected = "<s>[INST] You are a helpful assistant.\n\nHello! [/INST] Hi! How can I help?</s>"
                + "[INST] What is 2+2? [/INST]";
        assertEquals(expected, t.render(FOUR_TURNS, true));
        assertEquals(expected, t.render(FOUR_TURNS, false));
        assertEquals("<s>[INST] Hello! [/INST] Hi! How can I help?</s>[INST] What is 2+2? [/INST]",
                t.render(THREE_TURNS, true));
        assertRefusesNonAlternatingTurns(t);
    }

    @Test
    void gemma() {
        ChatTemplate t = ChatTemplates.builtIn("gemma", "<bos>", "<eos>");
        // Gemma: <start_of_turn>user|model, newline, text, <end_of_turn>, newline; the system text opens the first
        // user turn, followed by a blank line.
        String closed = "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n"
                + "<start_of_turn>model\nHi! How can I help?<end_of_turn>\n"
                + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n";
        assertEquals(closed + "<start_of_turn>model\n", t.render(FOUR_TURNS, true));
        assertEquals(closed, t.render(FOUR_TURNS, false));
        assertEquals("<bos><start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\nHi! How can I help?"
                + "<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
                t.render(THREE_TURNS, true));
        assertRefusesNonAlternatingTurns(t);
    }

    @Test
    void templatesThatTrimTrimTheText() {
        List<ChatMessage> padded = List.of(ChatMessage.system("  sys \n"), ChatMessage.user("\n u1 "),
                ChatMessage.assistant(" a1\n"), ChatMessage.user("u2\u00a0"));
        assertEquals("<s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nu1 [/INST] a1 </s><s>[INST] u2 [/INST]",
                ChatTemplates.builtIn("llama2", "<s>", "</s>").render(padded, true));
        assertEquals("<s>[INST] sys\n\nu1 [/INST] a1</s>[INST] u2 [/INST]",
                ChatTemplates.builtIn("mistral", "<s>", "</s>").render(padded, true));
        assertEquals("<bos><start_of_turn>user\nsys\n\nu1<end_of_turn>\n<start_of_turn>model\na1<end_of_turn>\n"
                + "<start_of_turn>user\nu2<end_of_turn>\n",
                ChatTemplates.builtIn("gemma", "<bos>", "<eos>").render(padded, false));
    }

    @Test
    void unknownBuiltInNameIsAClearError() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplates.builtIn("vicuna", "", ""));
        assertTrue(e.getMessage().contains("'vicuna'"), e.getMessage());
        assertTrue(e.getMessage().contains("chatml, gemma, llama2, llama3, mistral"), e.getMessage());
    }

    private static void assertRefusesNonAlternatingTurns(ChatTemplate t) {
        ChatTemplateRaisedException e = assertThrows(ChatTemplateRaisedException.class,
                () -> t.render(NOT_ALTERNATING, true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/... after an optional system "
                + "message", e.templateMessage());
        assertTrue(e.getMessage().startsWith("chat template built-in '"), e.getMessage());
    }
}
