package org.ristretto.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ristretto.core.testutil.SharedModels;

/**
 * Qwen3's own template (hf-tokenizers/qwen3) beyond plain turns: it walks the messages backwards with
 * {@code messages[::-1]} and a namespace, splits reasoning out of answers with Python string methods, switches
 * thinking off with {@code enable_thinking}, and lists tools with {@code tojson}. Expected prompts follow Qwen3's
 * documented format: the reasoning of the latest answer is kept in {@code <think>} tags, that of earlier answers is
 * dropped, and tools are listed one JSON object a line inside {@code <tools>} in the system turn.
 */
class Qwen3TemplateTest {
    private ChatTemplate qwen3;

    @BeforeEach
    void load() {
        qwen3 = ChatTemplates.fromTokenizerConfig(SharedModels.require("hf-tokenizers/qwen3/tokenizer_config.json"));
    }

    private static final ChatMessage ANSWER_WITH_REASONING =
            ChatMessage.assistant("<think>\nreasoning here\n</think>\n\nHello there");

    @Test
    void reasoningOfTheLatestAnswerIsKept() {
        assertEquals("<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nreasoning here\n</think>\n\nHello there<|im_end|>\n",
                qwen3.render(List.of(ChatMessage.user("Hi"), ANSWER_WITH_REASONING), false));
    }

    @Test
    void reasoningOfEarlierAnswersIsDropped() {
        assertEquals("<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello there<|im_end|>\n"
                + "<|im_start|>user\nAgain<|im_end|>\n"
                + "<|im_start|>assistant\n",
                qwen3.render(List.of(ChatMessage.user("Hi"), ANSWER_WITH_REASONING, ChatMessage.user("Again")), true));
    }

    @Test
    void thinkingCanBeSwitchedOff() {
        List<ChatMessage> hi = List.of(ChatMessage.user("Hi"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                qwen3.render(hi, true, Map.of("enable_thinking", false)));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                qwen3.render(hi, true, Map.of("enable_thinking", true)));
    }

    @Test
    void toolsAreListedAsPythonJson() {
        Map<String, Object> tool = map("type", "function", "function", map(
                "name", "get_weather",
                "description", "Weather in a city, e.g. Z\u00fcrich",
                "parameters", map("type", "object", "required", List.of("city"))));
        String expected = "<|im_start|>system\nYou are a helpful assistant.\n\n"
                + "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
                + "\"description\": \"Weather in a city, e.g. Z\u00fcrich\", "
                + "\"parameters\": {\"type\": \"object\", \"required\": [\"city\"]}}}\n</tools>\n\n"
                + "For each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n"
                + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(expected, qwen3.render(
                List.of(ChatMessage.system("You are a helpful assistant."), ChatMessage.user("Hi")), true,
                Map.of("tools", List.of(tool))));
    }

    /** A JSON object with its keys in the order given, as a request would carry it. */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }
}
