package org.ristretto.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Jinja chat template (as found in a GGUF's {@code tokenizer.chat_template} or a Hugging Face
 * {@code tokenizer_config.json}) with the BOS and EOS token texts it may refer to. It renders a conversation into the
 * prompt text the model was trained on, the way Hugging Face's {@code apply_chat_template} does. Instances are
 * immutable and may render from several threads.
 */
public final class ChatTemplate {
    private static final Set<String> RESERVED =
            Set.of("messages", "add_generation_prompt", "bos_token", "eos_token");

    private final String name;
    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;
    private final Jinjava jinjava;

    /**
     * @param name     names the template in error messages (a built-in name, a GGUF key and file, a file path)
     * @param source   the Jinja source
     * @param bosToken the text of the BOS token, bound to {@code bos_token} ("" when the vocabulary has none)
     * @param eosToken the text of the EOS token, bound to {@code eos_token} ("" when the vocabulary has none)
     */
    public ChatTemplate(String name, String source, String bosToken, String eosToken) {
        this(name, source, bosToken, eosToken, Clock.systemDefaultZone());
    }

    private ChatTemplate(String name, String source, String bosToken, String eosToken, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
        this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.jinjava = JinjaEnvironment.create(clock);
    }

    /** The same template with {@code strftime_now} reading {@code clock} (in its zone) instead of the system's. */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(name, source, bosToken, eosToken, clock);
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /**
     * Renders {@code messages}.
     *
     * @param addGenerationPrompt whether to end with the text that opens the assistant's turn
     * @return the prompt text, special tokens included as text (tokenize it with special-token parsing on)
     * @throws ChatTemplateRaisedException when the template calls {@code raise_exception}
     * @throws ChatTemplateException       when the template has a syntax error or fails while rendering
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders {@code messages} with extra template variables, e.g. {@code enable_thinking} for Qwen3 or
     * {@code tools} (a list of JSON-like maps) for templates that describe tools.
     *
     * @param variables extra variables; they may not replace {@code messages}, {@code add_generation_prompt},
     *                  {@code bos_token} or {@code eos_token}
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Objects.requireNonNull(messages, "messages");
        Map<String, Object> bindings = new HashMap<>();
        for (Map.Entry<String, ?> v : variables.entrySet()) {
            if (RESERVED.contains(v.getKey())) {
                throw new IllegalArgumentException("template variable '" + v.getKey() + "' is set by ChatTemplate");
            }
            bindings.put(v.getKey(), v.getValue());
        }
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        bindings.put("messages", turns);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);

        RenderResult result = jinjava.renderForResult(source, bindings);
        List<String> fatal = new ArrayList<>();
        for (TemplateError error : result.getErrors()) {
            String raised = raisedMessage(error.getException());
            if (raised != null) {
                throw new ChatTemplateRaisedException(name, raised);
            }
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                fatal.add("line " + error.getLineno() + ": " + error.getMessage());
            }
        }
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException("chat template " + name + " failed to render: " + String.join("; ", fatal));
        }
        return result.getOutput();
    }

    /** The message of a {@code raise_exception} call somewhere in {@code e}'s cause chain, else null. */
    private static String raisedMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TemplateFunctions.TemplateRaisedException raised) {
                return raised.getMessage();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + name + "]";
    }
}
