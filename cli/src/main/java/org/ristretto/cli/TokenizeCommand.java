package org.ristretto.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.tokenizer.Tokenizer;
import org.ristretto.core.tokenizer.Vocabulary;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto tokenize}: the token ids (or pieces) a model's tokenizer gives a text, as llama.cpp gives them. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of a text with the tokenizer in a GGUF file (a vocabulary-only file is "
                + "enough).", "The ids are printed as one JSON array on one line."})
final class TokenizeCommand implements Callable<Integer> {
    /**
     * The JSON mapper, made on first use: picocli instantiates every subcommand at start-up, and building a Jackson
     * mapper there cost every command, {@code run} included, 0.15–0.2 s of a cold JVM (372 classes).
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "The GGUF file.")
    Path model;

    @Option(names = "--no-bos", description = "Add no BOS (or EOS) token, whatever the model says.")
    boolean noBos;

    @Option(names = "--parse-special", description = "Match control tokens written in the text, such as "
            + "<|im_start|>; without it they are tokenized as plain text (user-defined tokens are matched either way).")
    boolean parseSpecial;

    @Option(names = "--pieces", description = "Print one line per token: the id, a tab, and the text it stands for "
            + "(control characters and incomplete UTF-8 bytes escaped).")
    boolean pieces;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The text to tokenize.")
        String text;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Tokenize the whole of this UTF-8 file.")
        Path file;

        @Option(names = "--jsonl", paramLabel = "FILE", description = "Tokenize each line {\"text\": ...} of this "
                + "file and print one line {\"text\": ..., \"ids\": [...]} for each, in order.")
        Path jsonl;
    }

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (pieces && input.jsonl != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pieces cannot be used with --jsonl");
        }
        Tokenizer tokenizer = load(model);
        PrintWriter out = spec.commandLine().getOut();
        if (input.jsonl != null) {
            tokenizeJsonl(tokenizer, out);
        } else {
            String text = input.text != null ? input.text : readText(input.file);
            int[] ids = tokenizer.encode(text, !noBos, parseSpecial);
            if (pieces) {
                Vocabulary v = tokenizer.vocabulary();
                for (int id : ids) {
                    out.print(id + "\t" + PieceText.escape(v.piece(id)) + "\n");
                }
            } else {
                out.print(Json.MAPPER.writeValueAsString(ids) + "\n");
            }
        }
        out.flush();
        return 0;
    }

    /** The tokenizer of a GGUF file; a tokenizer the file cannot give is one line naming the file. */
    static Tokenizer load(Path file) throws IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            return Tokenizer.fromGguf(gguf.metadata());
        } catch (GgufMetadataException e) {
            String msg = e.getMessage();
            throw msg != null && msg.startsWith(file.toString()) ? e : new GgufMetadataException(file + ": " + msg);
        }
    }

    /** The file as text; bytes that are not UTF-8 become U+FFFD, as llama.cpp reads them. */
    private static String readText(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private void tokenizeJsonl(Tokenizer tokenizer, PrintWriter out) throws IOException {
        // an InputStreamReader replaces bytes that are not UTF-8 by U+FFFD instead of failing
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(input.jsonl),
                StandardCharsets.UTF_8))) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String text = textOf(line, number);
                ObjectNode result = Json.MAPPER.createObjectNode();
                result.put("text", text);
                int[] ids = tokenizer.encode(text, !noBos, parseSpecial);
                var array = result.putArray("ids");
                for (int id : ids) {
                    array.add(id);
                }
                out.print(Json.MAPPER.writeValueAsString(result) + "\n");
            }
        }
    }

    private String textOf(String line, int number) throws IOException {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IOException(input.jsonl + ": line " + number + " is not JSON: " + e.getOriginalMessage());
        }
        JsonNode text = node == null ? null : node.get("text");
        if (text == null || !text.isTextual()) {
            throw new IOException(input.jsonl + ": line " + number + " has no \"text\" string");
        }
        return text.asText();
    }

    /** Token pieces for people: UTF-8 text with control characters escaped, other bytes as {@code \xNN}. */
    static final class PieceText {
        private PieceText() {}

        static String escape(byte[] piece) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(piece)).toString();
            } catch (CharacterCodingException e) {
                StringBuilder sb = new StringBuilder();
                for (byte b : piece) {
                    int v = b & 0xFF;
                    if (v >= 0x20 && v < 0x7F && v != '\\') {
                        sb.append((char) v);
                    } else {
                        sb.append(String.format("\\x%02X", v));
                    }
                }
                return sb.toString();
            }
            StringBuilder sb = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    case '\r' -> sb.append("\\r");
                    default -> {
                        if (c < 0x20 || c == 0x7F) {
                            sb.append(String.format("\\x%02X", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.toString();
        }
    }
}
