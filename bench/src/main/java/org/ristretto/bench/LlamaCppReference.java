package org.ristretto.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.ristretto.core.quant.GgmlType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * llama.cpp's greedy (argmax) continuation of a prompt, and its logits, as an outside reference for Ristretto's
 * forward pass: {@code LlamaCppReference -m FILE --prompt "Once upon a time" -n 32 [-o json]}.
 *
 * <p>The prompt is tokenized by llama.cpp (BOS added where the vocabulary asks for it, special tokens parsed) or given
 * as ids. Each step takes the argmax of the last logits (the lowest id among equal maxima, as llama.cpp's greedy
 * sampler does) and feeds it back; generation stops after {@code -n} tokens or at an end-of-generation token.
 */
@Command(name = "llamacpp-reference", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Greedy tokens (and top logits) from llama.cpp for a prompt.")
public final class LlamaCppReference implements Callable<Integer> {

    /**
     * A greedy run.
     *
     * @param promptIds the prompt's token ids as decoded
     * @param ids       the generated ids, in order
     * @param topLogits for each generated id, the {@code k} largest logits of the step that chose it, as
     *                  {@code [id, logit]} pairs in descending order
     */
    public record Greedy(int[] promptIds, int[] ids, List<float[][]> topLogits) {}

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file.")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (tokenized by llama.cpp).")
    String prompt;

    @Option(names = "--ids", split = ",", paramLabel = "ID", description = "Prompt token ids instead of text.")
    int[] ids;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "32", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"-t", "--threads"}, defaultValue = "2", description = "Threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-fa", "--flash-attn"}, defaultValue = "0", paramLabel = "0|1",
            description = "Flash attention (default ${DEFAULT-VALUE}: build 4916 has none for an F32 cache).")
    int flashAttn;

    @Option(names = {"-ctk", "--cache-type"}, defaultValue = "f32", paramLabel = "TYPE",
            description = "KV cache type (default ${DEFAULT-VALUE}, for the closest reference).")
    String cacheType;

    @Option(names = "--top", defaultValue = "0", paramLabel = "K", description = "Also print the K largest logits of each step.")
    int top;

    @Option(names = "--ignore-eos", description = "Keep going past end-of-generation tokens.")
    boolean ignoreEos;

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "text|json", description = "Output format.")
    String output;

    @Spec
    CommandSpec spec;

    /**
     * Decodes the prompt, then generates up to {@code steps} tokens greedily, in {@code ctx} from an empty cache.
     *
     * @param top how many of the largest logits to keep per step (0 for none)
     */
    public static Greedy generate(LlamaCppContext ctx, int[] promptIds, int steps, boolean stopAtEog, int top) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (promptIds.length + steps > ctx.contextSize()) {
            throw new IllegalArgumentException("prompt " + promptIds.length + " + " + steps + " tokens exceed the "
                    + ctx.contextSize() + "-token context");
        }
        ctx.clearCache();
        int batch = ctx.options().batchSize();
        for (int off = 0; off < promptIds.length; off += batch) {
            ctx.decode(promptIds, off, Math.min(batch, promptIds.length - off));
        }
        ctx.synchronize();
        int[] out = new int[steps];
        List<float[][]> tops = new ArrayList<>();
        int n = 0;
        while (n < steps) {
            float[] logits = ctx.logits(-1);
            int next = argmax(logits);
            if (top > 0) {
                tops.add(topK(logits, top));
            }
            out[n++] = next;
            if (stopAtEog && ctx.model().isEndOfGeneration(next)) {
                break;
            }
            if (n < steps) {
                ctx.decode(new int[] {next}, 0, 1);
                ctx.synchronize();
            }
        }
        return new Greedy(promptIds.clone(), Arrays.copyOf(out, n), tops);
    }

    /** The index of the largest value; the first one among equals. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static float[][] topK(float[] logits, int k) {
        Integer[] order = new Integer[logits.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> a.equals(b) ? 0
                : Float.compare(logits[b], logits[a]) != 0 ? Float.compare(logits[b], logits[a]) : a - b);
        float[][] out = new float[Math.min(k, logits.length)][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[] {order[i], logits[order[i]]};
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        if ((prompt == null) == (ids == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --prompt or --ids");
        }
        GgmlType kv = GgmlType.fromName(cacheType).orElseThrow(() -> new CommandLine.ParameterException(
                spec.commandLine(), "unknown cache type '" + cacheType + "'"));
        PrintWriter out = spec.commandLine().getOut();
        try (LlamaCppModel m = LlamaCppModel.open(model)) {
            int[] promptIds = ids != null ? ids : m.tokenize(prompt, true, true);
            var options = new LlamaCppContext.Options(promptIds.length + steps, 2048, 512, threads, flashAttn != 0, kv);
            try (LlamaCppContext ctx = m.newContext(options)) {
                Greedy g = generate(ctx, promptIds, steps, !ignoreEos, top);
                if (output.equals("json")) {
                    out.println(json(m, g));
                } else {
                    printText(out, m, g);
                }
            }
        }
        out.flush();
        return 0;
    }

    private void printText(PrintWriter out, LlamaCppModel m, Greedy g) {
        out.println("prompt ids: " + Arrays.toString(g.promptIds()));
        out.println("greedy ids: " + Arrays.toString(g.ids()));
        out.println("text: " + text(m, g.ids()));
        for (int s = 0; s < g.topLogits().size(); s++) {
            StringBuilder line = new StringBuilder("step " + s + ":");
            for (float[] p : g.topLogits().get(s)) {
                line.append(String.format(" %d=%.5f", (int) p[0], p[1]));
            }
            out.println(line);
        }
    }

    private String json(LlamaCppModel m, Greedy g) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        LlamaCppNative lib = LlamaCppNative.get();
        root.put("llama_cpp_build", lib.buildNumber());
        root.put("llama_cpp_commit", lib.commit());
        root.put("model", model.toString());
        root.put("model_type", m.description());
        root.put("threads", threads);
        root.put("flash_attn", flashAttn != 0);
        root.put("cache_type", cacheType);
        ArrayNode p = root.putArray("prompt_ids");
        Arrays.stream(g.promptIds()).forEach(p::add);
        ArrayNode ids = root.putArray("ids");
        Arrays.stream(g.ids()).forEach(ids::add);
        root.put("text", text(m, g.ids()));
        if (!g.topLogits().isEmpty()) {
            ArrayNode steps = root.putArray("top_logits");
            for (float[][] step : g.topLogits()) {
                ArrayNode s = steps.addArray();
                for (float[] pair : step) {
                    s.addObject().put("id", (int) pair[0]).put("logit", pair[1]);
                }
            }
        }
        return om.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    }

    /** The generated ids as text, joining token bytes before decoding so multi-byte characters survive. */
    static String text(LlamaCppModel m, int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            bytes.writeBytes(m.pieceBytes(id));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new LlamaCppReference());
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("llamacpp-reference: " + ex.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }
}
