package org.ristretto.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A llama-bench program run once per test ({@code -o json}), so that a native build of llama.cpp (compiled for this
 * machine, with AVX-512 and VNNI where it has them) can be the peer instead of the jar's generic one. Each run maps
 * the model again (the page cache keeps it) and does llama-bench's own warm-up.
 */
final class LlamaBenchProcess implements LlamaCppSide {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path program;
    private final Path model;
    private final LlamaCppPeer.Settings settings;
    private ObjectNode last;

    LlamaBenchProcess(Path program, Path model, LlamaCppPeer.Settings settings) throws NoSuchFileException {
        if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
            throw new NoSuchFileException(program + " (--llama-bench: not an executable file)");
        }
        this.program = program;
        this.model = model;
        this.settings = settings;
    }

    @Override
    public Measured run(LlamaBenchTest test) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(program.toString(), "-m", model.toString(),
                "-t", Integer.toString(settings.threads()), "-b", Integer.toString(settings.batchSize()),
                "-ub", Integer.toString(settings.ubatchSize()), "-fa", settings.flashAttention() ? "1" : "0",
                "-ctk", settings.cacheType().ggmlName(), "-ctv", settings.cacheType().ggmlName(),
                "-r", Integer.toString(settings.repetitions()), "-p", Integer.toString(test.nPrompt()),
                "-n", Integer.toString(test.nGen()), "-o", "json"));
        if (test.nDepth() > 0) {
            cmd.addAll(List.of("-d", Integer.toString(test.nDepth())));
        }
        if (!settings.warmup()) {
            cmd.add("--no-warmup");
        }
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(program.getFileName() + " exited with " + rc + " on " + test.name() + ": "
                    + lastLines(err.join(), 5));
        }
        JsonNode results = JSON.readTree(out);
        if (results == null || !results.isArray() || results.size() != 1 || !results.get(0).isObject()) {
            throw new IOException(program.getFileName() + " printed no single JSON result for " + test.name()
                    + "; expected llama-bench's -o json array: " + lastLines(out, 3));
        }
        last = (ObjectNode) results.get(0);
        return new Measured(number(last, "avg_ts"), number(last, "stddev_ts"), last);
    }

    @Override
    public String modelDescription() {
        return last == null ? "?" : last.path("model_type").asText("?");
    }

    @Override
    public String buildDescription() {
        String build = last == null ? "" : " build " + last.path("build_number").asText("?") + " ("
                + last.path("build_commit").asText("?") + ")";
        return program + build;
    }

    @Override
    public void close() {}

    private double number(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) {
            throw new IOException(program.getFileName() + "'s JSON has no number '" + field + "'");
        }
        return v.asDouble();
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.strip().lines().toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
