package org.ristretto.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.ristretto.cli.bench.LlamaBenchFields;

/** Prints results as llama-bench does: a markdown table, or JSON with llama-bench's field names. */
public final class LlamaBenchReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String buildCommit;
    private final int buildNumber;
    private final String cpuInfo;

    /** A report for results of the given llama.cpp build. */
    public LlamaBenchReport(String buildCommit, int buildNumber) {
        this.buildCommit = buildCommit;
        this.buildNumber = buildNumber;
        this.cpuInfo = LlamaBenchFields.cpuInfo();
    }

    /** The header of llama-bench's markdown table. */
    public void printTableHeader(PrintWriter out) {
        out.printf("| %-30s | %10s | %10s | %-10s | %7s | %2s | %-6s | %15s | %20s |%n",
                "model", "size", "params", "backend", "threads", "fa", "type_k", "test", "t/s");
        out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", "-".repeat(30), "-".repeat(9) + ":",
                "-".repeat(9) + ":", "-".repeat(10), "-".repeat(6) + ":", "-:", "-".repeat(6),
                "-".repeat(14) + ":", "-".repeat(19) + ":");
        out.flush();
    }

    /** One row of the markdown table. */
    public void printTableRow(PrintWriter out, LlamaBenchResult r) {
        LlamaBenchSetup s = r.setup();
        out.printf(Locale.ROOT, "| %-30s | %10s | %10s | %-10s | %7d | %2d | %-6s | %15s | %20s |%n",
                s.modelType(), LlamaBenchFields.size(s.modelSize()), LlamaBenchFields.params(s.modelNParams()), "CPU", s.nThreads(),
                s.flashAttention() ? 1 : 0, s.cacheType().ggmlName(), r.test().name(),
                String.format(Locale.ROOT, "%.2f ± %.2f", r.avgTs(), r.stddevTs()));
        out.flush();
    }

    /** The line under the table. */
    public void printTableFooter(PrintWriter out) {
        out.printf("%nbuild: %s (%d)%n", buildCommit, buildNumber);
        out.flush();
    }

    /** One result as a JSON object with llama-bench's field names, plus the binding's {@code internal_*} fields. */
    public ObjectNode toJson(LlamaBenchResult r) {
        LlamaBenchSetup s = r.setup();
        ObjectNode n = JSON.createObjectNode();
        n.put("build_commit", buildCommit);
        n.put("build_number", buildNumber);
        n.put("cpu_info", cpuInfo);
        n.put("gpu_info", "");
        n.put("backends", "CPU");
        n.put("model_filename", s.modelFilename());
        n.put("model_type", s.modelType());
        n.put("model_size", s.modelSize());
        n.put("model_n_params", s.modelNParams());
        n.put("n_batch", s.nBatch());
        n.put("n_ubatch", s.nUbatch());
        n.put("n_threads", s.nThreads());
        n.put("type_k", s.cacheType().ggmlName());
        n.put("type_v", s.cacheType().ggmlName());
        n.put("n_gpu_layers", 0);
        n.put("flash_attn", s.flashAttention());
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
        ArrayNode internal = n.putArray("internal_samples_ns");
        r.samplesInternalNs().forEach(internal::add);
        n.put("internal_avg_ts", r.avgInternalTs());
        return n;
    }

    /** All results as one JSON array, as {@code llama-bench -o json} prints it. */
    public String toJson(List<LlamaBenchResult> results) {
        ArrayNode a = JSON.createArrayNode();
        results.forEach(r -> a.add(toJson(r)));
        try {
            return JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(a);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** One result on one line ({@code -o jsonl}). */
    public String toJsonLine(LlamaBenchResult r) {
        return toJson(r).toString();
    }



}
