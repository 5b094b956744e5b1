package org.ristretto.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.generate.Model;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares: the file, the backend and the KV cache. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "The GGUF model.")
    Path model;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "auto",
            description = "auto, cpu, opencl or cuda (default: ${DEFAULT-VALUE}: CUDA, then an OpenCL GPU, then the CPU).")
    String backend;

    @Option(names = "--device", paramLabel = "N", defaultValue = "-1",
            description = "The device of the chosen backend (see 'ristretto devices'; default: the backend's first or best).")
    int device;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "CPU threads (default: the number of cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "KV cache positions (default: the smaller of the model's context and 4096).")
    int contextSize;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "512",
            description = "Most prompt tokens per prefill step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"-ctk", "--cache-type"}, paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache element type, of keys and values alike: f16, f32 or q8_0 (default: "
                    + "${DEFAULT-VALUE}).")
    String cacheType;

    @Option(names = "--no-repack", description = "Keep the weights only in the file's mapping: no packed copies for "
            + "decoding (the CPU backend makes them for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, IQ4_XS and Q2_K to "
            + "Q6_K: faster decoding for about their size again in memory and a second or two before the first "
            + "token).")
    boolean noRepack;

    @Option(names = "--huge-pages", negatable = true, description = "Put the packed copies on transparent huge pages: "
            + "1.5-4%% faster decoding, but up to about a second more per GB of copies before the first token, on "
            + "virtual machines that give free memory back to their host (default: off, for a quick start; "
            + "'ristretto bench' has it on).")
    boolean hugePages;

    @Option(names = "--pack-cache", paramLabel = "DIR", description = "Keep the packed copies of the weights in a file "
            + "in DIR (about the model's size again), so that later runs of the same model map them instead of packing "
            + "again: a quicker first token (none by default).")
    Path packCache;

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    int threads() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    TransformerOptions transformerOptions() {
        GgmlType type = kvCacheType(cacheType).orElseThrow(() -> new IllegalArgumentException(
                "--cache-type must be f16, f32 or q8_0, not '" + cacheType + "'"));
        return new TransformerOptions(contextSize, batchSize, type);
    }

    /** The KV cache type that {@code -ctk}/{@code --cache-type} names (f16, f32 or q8_0, any case), if it is one. */
    static Optional<GgmlType> kvCacheType(String name) {
        return GgmlType.fromName(name).filter(t -> t == GgmlType.F16 || t == GgmlType.F32 || t == GgmlType.Q8_0);
    }

    /** Checks values picocli's types cannot; a failure here is a usage error. */
    void validate() {
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
        }
        if (contextSize < 0) {
            throw new IllegalArgumentException("--ctx-size must be 0 (the default) or positive, not " + contextSize);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, not " + batchSize);
        }
        if (packCache != null && Files.exists(packCache) && !Files.isDirectory(packCache)) {
            throw new IllegalArgumentException("--pack-cache must be a folder, and " + packCache + " is a file");
        }
        transformerOptions();
    }

    /**
     * A backend and a model on it, closed together.
     *
     * @param fallbacks says on stderr what runs through the CPU fallback; call it again after generating
     */
    record Loaded(Backend backend, Model model, long loadNanos, FallbackNotes fallbacks) implements AutoCloseable {
        @Override
        public void close() {
            try {
                model.close();
            } finally {
                backend.close();
            }
        }
    }

    /**
     * Opens the backend (saying on {@code err} which one and why) and the model on it, then says on {@code err} which
     * weight types run through the CPU fallback, if any.
     */
    Loaded load(PrintWriter err) throws IOException {
        long start = System.nanoTime();
        Consumer<String> notes = note -> {
            err.println(note);
            err.flush();
        };
        // A model file that cannot be read gets its message from Model.open.
        PackedCopyCache kept = packCache != null && Files.isRegularFile(model)
                ? PackedCopyCache.forModel(packCache, model, notes) : null;
        // The backend opens on a second thread while the model's metadata and tokenizer are read (Model.open).
        Model m = Model.open(model, () -> BackendSelector.discover().open(backend, device, threads(),
                WeightPacking.of(!noRepack, hugePages), kept, notes), transformerOptions());
        Loaded loaded = new Loaded(m.backend(), m, System.nanoTime() - start, new FallbackNotes(m.backend()));
        try {
            loaded.fallbacks().print(err);
        } catch (RuntimeException | Error e) {
            loaded.close();
            throw e;
        }
        return loaded;
    }
}
