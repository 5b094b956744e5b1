package org.ristretto.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ristretto.core.backend.DeviceKind;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.model.TransformerOptions;

/**
 * Prints results as llama-bench does, so one script reads both tools: a markdown table (model, size, params, backend,
 * threads, test, t/s, plus n_batch and type_k when they differ from the defaults) or a JSON array whose objects carry
 * llama-bench's field names.
 *
 * <p>Fields llama.cpp has and Ristretto does not are given the value that describes Ristretto: {@code flash_attn} is
 * true (attention is always the tiled online-softmax kind), {@code use_mmap} true, {@code n_ubatch} equals
 * {@code n_batch} (one batch size), {@code n_gpu_layers} is 0 on the CPU and every layer elsewhere;
 * {@code build_commit} names the Ristretto build and {@code build_number} is 0.
 */
public final class BenchReport {
    /**
     * The JSON mapper, made on first use: picocli instantiates every subcommand at start-up, and building a Jackson
     * mapper there cost every command, {@code run} included, 0.15–0.2 s of a cold JVM (372 classes).
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final BenchModel model;
    private final BenchRunner.Settings settings;
    private final String build;
    private final String cpuInfo;
    private final List<Column> columns;

    private record Column(String header, int width) {}

    /** A report of results from {@code model} run with {@code settings}. */
    public BenchReport(BenchModel model, BenchRunner.Settings settings) {
        this.model = model;
        this.settings = settings;
        String version = BenchReport.class.getPackage().getImplementationVersion();
        this.build = "ristretto " + (version == null ? "development build" : version);
        this.cpuInfo = LlamaBenchFields.cpuInfo();
        List<Column> c = new ArrayList<>(List.of(new Column("model", -30), new Column("size", 10),
                new Column("params", 10), new Column("backend", -10), new Column("threads", 7)));
        if (settings.batchSize() != TransformerOptions.DEFAULT_BATCH_SIZE) {
            c.add(new Column("n_batch", 7));
        }
        if (settings.cacheType() != GgmlType.F16) {
            c.add(new Column("type_k", -6));
        }
        c.add(new Column("test", 15));
        c.add(new Column("t/s", 20));
        this.columns = List.copyOf(c);
    }

    /** The table's header and its alignment row. */
    public void printTableHeader(PrintWriter out) {
        StringBuilder head = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (Column c : columns) {
            head.append(' ').append(pad(c.header(), c.width())).append(" |");
            rule.append(' ').append("-".repeat(Math.abs(c.width()) - 1)).append(c.width() > 0 ? ':' : '-').append(" |");
        }
        out.println(head);
        out.println(rule);
        out.flush();
    }

    /** One row of the table. */
    public void printTableRow(PrintWriter out, BenchResult r) {
        StringBuilder row = new StringBuilder("|");
        for (Column c : columns) {
            String value = switch (c.header()) {
                case "model" -> model.description();
                case "size" -> LlamaBenchFields.size(model.sizeBytes());
                case "params" -> LlamaBenchFields.params(model.parameterCount());
                case "backend" -> model.backendLabel();
                case "threads" -> Integer.toString(model.threads());
                case "n_batch" -> Integer.toString(settings.batchSize());
                case "type_k" -> settings.cacheType().ggmlName();
                case "test" -> r.test().name();
                case "t/s" -> String.format(Locale.ROOT, "%.2f ± %.2f", r.avgTs(), r.stddevTs());
                default -> throw new IllegalStateException("no value for column " + c.header());
            };
            row.append(' ').append(pad(value, c.width())).append(" |");
        }
        out.println(row);
        out.flush();
    }

    /** The line under the table. */
    public void printTableFooter(PrintWriter out) {
        out.printf("%nbuild: %s%n", build);
        out.flush();
    }

    /** One result as a JSON object with llama-bench's field names, in llama-bench's order. */
    public ObjectNode toJson(BenchResult r) {
        boolean cpu = model.backend().device().kind() == DeviceKind.CPU;
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("build_commit", build);
        n.put("build_number", 0);
        n.put("cpu_info", cpuInfo);
        n.put("gpu_info", cpu ? "" : model.backend().device().name());
        n.put("backends", model.backendLabel());
        n.put("model_filename", model.file().toString());
        n.put("model_type", model.description());
        n.put("model_size", model.sizeBytes());
        n.put("model_n_params", model.parameterCount());
        n.put("n_batch", settings.batchSize());
        n.put("n_ubatch", settings.batchSize());
        n.put("n_threads", model.threads());
        n.put("type_k", settings.cacheType().ggmlName());
        n.put("type_v", settings.cacheType().ggmlName());
        n.put("n_gpu_layers", cpu ? 0 : model.weights().config().blockCount());
        n.put("main_gpu", model.backend().device().index());
        n.put("flash_attn", true);
        n.put("use_mmap", true);
        n.put("embeddings", false);
        n.put("n_prompt", r.test().nPrompt());
        n.put("n_gen", r.test().nGen());
        n.put("n_depth", r.test().nDepth());
        n.put("test_time", r.testTime());
        n.put("avg_ns", r.avgNs());
        n.put("stddev_ns", r.stddevNs());
        n.put("avg_ts", r.avgTs());
        n.put("stddev_ts", r.stddevTs());
        ArrayNode ns = n.putArray("samples_ns");
        r.samplesNs().forEach(ns::add);
        ArrayNode ts = n.putArray("samples_ts");
        r.samplesTs().forEach(ts::add);
        return n;
    }

    /** All results as one indented JSON array, as {@code llama-bench -o json} prints them. */
    public String toJson(List<BenchResult> results) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        results.forEach(r -> a.add(toJson(r)));
        try {
            return Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(a);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }



    /** printf's {@code %*s}: a negative width pads on the right, a positive one on the left. */
    private static String pad(String s, int width) {
        int w = Math.abs(width);
        if (s.length() >= w) {
            return s;
        }
        String fill = " ".repeat(w - s.length());
        return width < 0 ? s + fill : fill + s;
    }

}
