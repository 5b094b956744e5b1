package org.ristretto.core.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.gguf.GgufValueType;

/**
 * Where chat templates come from: the GGUF's {@code tokenizer.chat_template} (and its named variants
 * {@code tokenizer.chat_template.NAME}), the built-in templates for GGUFs that carry none, and files (a {@code .jinja}
 * template or a Hugging Face {@code tokenizer_config.json}).
 */
public final class ChatTemplates {
    /** The GGUF key of the default template; named variants are this key, a dot and the name. */
    public static final String GGUF_KEY = "tokenizer.chat_template";

    private static final List<String> BUILT_IN = List.of("chatml", "gemma", "llama2", "llama3", "mistral");
    private static final String TOKENS_KEY = "tokenizer.ggml.tokens";
    private static final String BOS_KEY = "tokenizer.ggml.bos_token_id";
    private static final String EOS_KEY = "tokenizer.ggml.eos_token_id";

    private ChatTemplates() {}

    /** The names of the built-in templates, sorted: chatml, gemma, llama2, llama3, mistral. */
    public static List<String> builtInNames() {
        return BUILT_IN;
    }

    /**
     * A built-in template.
     *
     * @throws ChatTemplateException when {@code name} is not one of {@link #builtInNames()}
     */
    public static ChatTemplate builtIn(String name, String bosToken, String eosToken) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!BUILT_IN.contains(key)) {
            throw new ChatTemplateException("unknown built-in chat template '" + name + "': the built-in names are "
                    + String.join(", ", BUILT_IN));
        }
        String resource = "templates/" + key + ".jinja";
        try (InputStream in = ChatTemplates.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ChatTemplateException("built-in chat template resource " + resource + " is missing");
            }
            return new ChatTemplate("built-in '" + key + "'", new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    bosToken, eosToken);
        } catch (IOException e) {
            throw new ChatTemplateException("cannot read built-in chat template " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * The template a model should be prompted with.
     *
     * @param metadata the GGUF's metadata; its BOS and EOS token texts are bound to {@code bos_token} and
     *                 {@code eos_token} (empty when the vocabulary names none)
     * @param override null for the GGUF's own {@code tokenizer.chat_template}; else a built-in name (see
     *                 {@link #builtInNames()}), the NAME of one of the GGUF's {@code tokenizer.chat_template.NAME}
     *                 templates, or the path of a {@code .jinja} file or a {@code tokenizer_config.json} (a file
     *                 called like a built-in is reached with a path such as {@code ./llama2})
     * @throws ChatTemplateException when there is no such template, naming what was asked for and what exists
     */
    public static ChatTemplate resolve(GgufMetadata metadata, String override) {
        String bos = tokenText(metadata, BOS_KEY);
        String eos = tokenText(metadata, EOS_KEY);
        if (override == null) {
            if (!metadata.contains(GGUF_KEY)) {
                throw new ChatTemplateException("the model has no " + GGUF_KEY + "; choose a chat template: one of "
                        + choices(metadata));
            }
            return new ChatTemplate("'" + GGUF_KEY + "' of the model", stringValue(metadata, GGUF_KEY), bos, eos);
        }
        if (BUILT_IN.contains(override.toLowerCase(Locale.ROOT))) {
            return builtIn(override, bos, eos);
        }
        String namedKey = GGUF_KEY + "." + override;
        if (!override.isEmpty() && metadata.contains(namedKey)) {
            return new ChatTemplate("'" + namedKey + "' of the model", stringValue(metadata, namedKey), bos, eos);
        }
        Path file = Path.of(override);
        if (Files.isRegularFile(file)) {
            return fromFile(file, bos, eos);
        }
        if (looksLikePath(override)) {
            throw new ChatTemplateException("chat template file not found: " + override);
        }
        throw new ChatTemplateException("unknown chat template '" + override + "': expected one of "
                + choices(metadata));
    }

    /**
     * A template read from a file: a {@code .json} file is a Hugging Face {@code tokenizer_config.json} (or
     * {@code chat_template.json}) whose {@code chat_template} is used; any other file is the Jinja source itself.
     */
    public static ChatTemplate fromFile(Path file, String bosToken, String eosToken) {
        String text = readFile(file);
        if (isJson(file)) {
            return new ChatTemplate(file.toString(), templateOfConfig(file, parseJson(file, text)), bosToken, eosToken);
        }
        return new ChatTemplate(file.toString(), text, bosToken, eosToken);
    }

    /**
     * The template of a Hugging Face {@code tokenizer_config.json}, with the {@code bos_token} and {@code eos_token}
     * that file declares (empty when it declares none).
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig) {
        JsonNode config = parseJson(tokenizerConfig, readFile(tokenizerConfig));
        return new ChatTemplate(tokenizerConfig.toString(), templateOfConfig(tokenizerConfig, config),
                specialToken(tokenizerConfig, config, "bos_token"), specialToken(tokenizerConfig, config, "eos_token"));
    }

    /** The names of the GGUF's named templates ({@code tokenizer.chat_template.NAME}), in file order. */
    public static List<String> ggufTemplateNames(GgufMetadata metadata) {
        List<String> names = new ArrayList<>();
        for (String key : metadata.keys()) {
            if (key.startsWith(GGUF_KEY + ".")) {
                names.add(key.substring(GGUF_KEY.length() + 1));
            }
        }
        return names;
    }

    /**
     * The text of the token whose id {@code idKey} holds ({@code tokenizer.ggml.bos_token_id} or
     * {@code eos_token_id}), or "" when the GGUF does not name one.
     */
    public static String tokenText(GgufMetadata metadata, String idKey) {
        Optional<Long> id = metadata.findLong(idKey);
        if (id.isEmpty()) {
            return "";
        }
        String[] tokens = metadata.getStringArray(TOKENS_KEY);
        if (id.get() < 0 || id.get() >= tokens.length) {
            throw new ChatTemplateException("metadata key '" + idKey + "' = " + id.get() + " is not a token id: '"
                    + TOKENS_KEY + "' has " + tokens.length + " entries");
        }
        return tokens[(int) (long) id.get()];
    }

    private static String stringValue(GgufMetadata metadata, String key) {
        try {
            return metadata.getString(key);
        } catch (GgufMetadataException e) {
            throw new ChatTemplateException(e.getMessage(), e);
        }
    }

    private static String choices(GgufMetadata metadata) {
        StringBuilder s = new StringBuilder("the built-in names " + String.join(", ", BUILT_IN));
        List<String> named = ggufTemplateNames(metadata).stream()
                .filter(n -> metadata.get(GGUF_KEY + "." + n).map(v -> v.type() == GgufValueType.STRING).orElse(false))
                .toList();
        if (!named.isEmpty()) {
            s.append(", the model's named templates ").append(String.join(", ", named));
        }
        return s.append(", or the path of a .jinja file or a tokenizer_config.json").toString();
    }

    private static boolean looksLikePath(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        return s.contains("/") || s.contains("\\") || s.startsWith(".") || s.startsWith("~")
                || lower.endsWith(".jinja") || lower.endsWith(".jinja2") || lower.endsWith(".j2")
                || lower.endsWith(".json") || lower.endsWith(".txt");
    }

    private static boolean isJson(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    private static String readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ChatTemplateException("chat template file not found: " + file);
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ChatTemplateException("cannot read chat template file " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode parseJson(Path file, String text) {
        try {
            JsonNode root = new ObjectMapper().readTree(text);
            if (root == null || !root.isObject()) {
                throw new ChatTemplateException(file + ": expected a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ChatTemplateException(file + ": not valid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** {@code chat_template} as a string, or the {@code default} entry of a list of {name, template} objects. */
    private static String templateOfConfig(Path file, JsonNode config) {
        JsonNode template = config.get("chat_template");
        if (template == null || template.isNull()) {
            throw new ChatTemplateException(file + " has no chat_template");
        }
        if (template.isTextual()) {
            return template.asText();
        }
        if (template.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode entry : template) {
                String name = entry.path("name").asText();
                names.add(name);
                if (name.equals("default") && entry.path("template").isTextual()) {
                    return entry.get("template").asText();
                }
            }
            throw new ChatTemplateException(file + ": chat_template lists the templates " + names
                    + " but none named 'default'");
        }
        throw new ChatTemplateException(file + ": chat_template should be a string or a list of {name, template}, "
                + "not " + template.getNodeType());
    }

    /** A special token declared as a string or as an AddedToken object with {@code content}. */
    private static String specialToken(Path file, JsonNode config, String key) {
        JsonNode token = config.get(key);
        if (token == null || token.isNull()) {
            return "";
        }
        if (token.isTextual()) {
            return token.asText();
        }
        if (token.path("content").isTextual()) {
            return token.get("content").asText();
        }
        throw new ChatTemplateException(file + ": " + key + " should be a string or an object with content");
    }
}
