package org.ristretto.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.ProfilingBackend;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.tokenizer.Vocabulary;

/**
 * A model opened for benchmarking: the mapped GGUF, the backend and the weights on it, and what a report says about
 * them (llama-bench's {@code model_type}, {@code model_size}, {@code model_n_params}, {@code backends}).
 * Closing it frees the weights, closes the backend and unmaps the file.
 */
public final class BenchModel implements AutoCloseable {
    private final Path file;
    private final GgufFile gguf;
    private final Backend backend;
    private final ProfilingBackend profile;
    private final ModelWeights weights;
    private final int threads;
    private final String description;
    private final long sizeBytes;
    private final long parameterCount;
    private final int firstPromptToken;

    private BenchModel(Path file, GgufFile gguf, Backend backend, ProfilingBackend profile, ModelWeights weights,
            int threads) {
        this.profile = profile;
        this.file = file;
        this.gguf = gguf;
        this.backend = backend;
        this.weights = weights;
        this.threads = threads;
        this.sizeBytes = gguf.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        this.parameterCount = gguf.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        this.description = ModelLabel.describe(gguf, parameterCount);
        this.firstPromptToken = bosIfAdded(gguf.metadata(), weights.config().vocabSize());
    }

    /**
     * Maps {@code file}, opens the backend as {@link BackendSelector#open} does (notes on the choice go to
     * {@code notes}) and loads the weights onto it.
     *
     * @param backendName "auto" or a provider name
     * @param device      device index, or -1 for the backend's preferred one
     * @param threads     host worker threads
     * @param packing     whether the backend may keep packed copies of weights for decoding, and on which pages
     *                    ({@link WeightPacking})
     * @throws IOException when the file cannot be read
     * @throws org.ristretto.core.model.ModelFormatException or {@link GgufMetadataException} for a model Ristretto
     *                     cannot run
     * @throws org.ristretto.core.backend.BackendException when the backend cannot be opened
     */
    public static BenchModel open(Path file, String backendName, int device, int threads, WeightPacking packing,
            Consumer<String> notes) throws IOException {
        return open(file, backendName, device, threads, packing, false, notes);
    }

    /**
     * As {@link #open(Path, String, int, int, WeightPacking, Consumer)}; with {@code profile}, the weights run on a
     * {@link ProfilingBackend} around the opened backend ({@link #profile()}).
     */
    public static BenchModel open(Path file, String backendName, int device, int threads, WeightPacking packing,
            boolean profile, Consumer<String> notes) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        Backend backend = null;
        try {
            ModelConfig config = ModelConfig.read(gguf);
            backend = BackendSelector.discover().open(backendName, device, threads, packing, notes);
            ProfilingBackend profiling = profile ? new ProfilingBackend(backend) : null;
            ModelWeights weights = ModelWeights.load(gguf, config, profiling != null ? profiling : backend);
            return new BenchModel(file, gguf, backend, profiling, weights, threads);
        } catch (RuntimeException | Error e) {
            if (backend != null) {
                backend.close();
            }
            gguf.close();
            throw e;
        }
    }

    /** The file as given. */
    public Path file() {
        return file;
    }

    /** The weights, on {@link #backend()}. */
    public ModelWeights weights() {
        return weights;
    }

    /** The backend the weights live on. */
    public Backend backend() {
        return backend;
    }

    /** The timing wrapper the weights run on when the model was opened to profile, else empty. */
    public Optional<ProfilingBackend> profile() {
        return Optional.ofNullable(profile);
    }

    /** Host worker threads the backend was opened with. */
    public int threads() {
        return threads;
    }

    /** {@code "llama 1B Q4_K - Medium"}: see {@link ModelLabel}. */
    public String description() {
        return description;
    }

    /** Bytes of all tensors (llama.cpp's {@code llama_model_size}). */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Elements of all tensors (llama.cpp's {@code llama_model_n_params}). */
    public long parameterCount() {
        return parameterCount;
    }

    /** The backend as llama-bench names backends: {@code CPU}, {@code CUDA}, {@code OpenCL}. */
    public String backendLabel() {
        return switch (backend.name()) {
            case "opencl" -> "OpenCL";
            default -> backend.name().toUpperCase(Locale.ROOT);
        };
    }

    /** The token a prompt starts with (BOS where the vocabulary adds one, as llama-bench does), or -1 for none. */
    public int firstPromptToken() {
        return firstPromptToken;
    }

    @Override
    public void close() {
        try {
            weights.close();
            backend.close();
        } finally {
            gguf.close();
        }
    }

    /**
     * BOS when encoding adds it. The vocabulary knows llama.cpp's per-tokenizer defaults; a vocabulary this build
     * cannot read (an unknown pre-tokenizer, say) does not stop a benchmark, which never tokenizes text: then only an
     * explicit {@code tokenizer.ggml.add_bos_token} counts. The choice changes one token id, not the work done.
     */
    private static int bosIfAdded(GgufMetadata md, int vocabSize) {
        if (!md.contains("tokenizer.ggml.model")) {
            return -1;
        }
        int bos;
        boolean addBos;
        try {
            Vocabulary vocab = Vocabulary.fromGguf(md);
            bos = vocab.bos();
            addBos = vocab.addBos();
        } catch (GgufMetadataException e) {
            bos = md.findLong("tokenizer.ggml.bos_token_id").map(Long::intValue).orElse(-1);
            addBos = md.getBool("tokenizer.ggml.add_bos_token", false);
        }
        return addBos && bos >= 0 && bos < vocabSize ? bos : -1;
    }
}
