package org.ristretto.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.ristretto.core.generate.Session;
import org.ristretto.core.tokenizer.Vocabulary;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto logits}: the raw logits of one batch, for people (top tokens) and scripts (JSON). */
@Command(name = "logits", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the input as one batch and print the logits of the last position (every position with --all):",
                "the top N tokens with their probabilities, or with --json {\"ids\": [...], \"logits\": [[...], ...]}."})
final class LogitsCommand implements Callable<Integer> {

    static final class Input {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
                description = "Text, tokenized with BOS as the model says and special tokens parsed.")
        String text;

        @Option(names = "--ids", paramLabel = "1,2,3", split = ",", description = "Token ids, comma separated.")
        int[] ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--all", description = "Print every position's logits, not only the last.")
    boolean all;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "Tokens shown per position in the text output (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "Print {\"ids\": [...], \"logits\": [[...], ...]} for scripts.")
    boolean json;

    @Mixin
    ModelOptions modelOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Usage.check(spec, () -> {
            modelOptions.validate();
            if (top < 1) {
                throw new IllegalArgumentException("--top must be at least 1, not " + top);
            }
            return null;
        });
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ModelOptions.Loaded loaded = modelOptions.load(err);
             Session session = loaded.model().newSession()) {
            Vocabulary vocab = loaded.model().tokenizer().vocabulary();
            int[] ids = input.ids != null ? input.ids : loaded.model().tokenizer().encode(input.text, true, true);
            if (ids.length == 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no tokens to evaluate");
            }
            for (int id : ids) {
                if (id < 0 || id >= vocab.size()) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "token id " + id + " is outside the vocabulary [0, " + vocab.size() + ")");
                }
            }
            int n = vocab.size();
            float[] logits = session.logits(ids, all);
            int rows = logits.length / n;
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode doc = mapper.createObjectNode();
                ArrayNode idArray = doc.putArray("ids");
                Arrays.stream(ids).forEach(idArray::add);
                ArrayNode rowsNode = doc.putArray("logits");
                for (int r = 0; r < rows; r++) {
                    ArrayNode row = rowsNode.addArray();
                    for (int i = 0; i < n; i++) {
                        row.add(logits[r * n + i]);
                    }
                }
                out.println(mapper.writeValueAsString(doc));
            } else {
                int first = ids.length - rows;
                for (int r = 0; r < rows; r++) {
                    int pos = first + r;
                    out.printf("position %d (after token %d %s):%n", pos, ids[pos], quoted(vocab, ids[pos]));
                    printTop(out, vocab, Arrays.copyOfRange(logits, r * n, (r + 1) * n));
                }
            }
            out.flush();
        }
        return 0;
    }

    private void printTop(PrintWriter out, Vocabulary vocab, float[] row) {
        double max = Float.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : row) {
            sum += Math.exp(v - max);
        }
        Integer[] order = new Integer[row.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
        for (int k = 0; k < Math.min(top, row.length); k++) {
            int id = order[k];
            out.printf("  %8d  %-24s logit %10.4f  p %.4f%n", id, quoted(vocab, id), row[id],
                    Math.exp(row[id] - max) / sum);
        }
    }

    private static String quoted(Vocabulary vocab, int id) {
        String piece = new String(vocab.piece(id), StandardCharsets.UTF_8);
        return "'" + piece.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
