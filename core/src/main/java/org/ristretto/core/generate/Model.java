package org.ristretto.core.generate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.chat.ChatTemplate;
import org.ristretto.core.chat.ChatTemplates;
import org.ristretto.core.concurrent.Background;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.tokenizer.Tokenizer;

/**
 * A GGUF model ready to run: the file mapped, its configuration and tokenizer read, its weights handed to a backend
 * (on the CPU they stay in the mapping; device backends upload them once). Sessions, each with its own KV cache,
 * generate text from it.
 *
 * <pre>{@code
 * try (Backend backend = BackendSelector.discover().open("auto", -1, 2, System.err::println);
 *      Model model = Model.open(Path.of("model.gguf"), backend, TransformerOptions.defaults());
 *      Session session = model.newSession()) {
 *     session.generate("Once upon a time", GenerationOptions.defaults().withMaxTokens(64), System.out::print);
 * }
 * }</pre>
 *
 * Closing the model releases the weights and the mapping; the backend belongs to the caller.
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ModelWeights weights;
    private final TransformerOptions options;

    private Model(GgufFile file, ModelConfig config, Tokenizer tokenizer, ModelWeights weights,
                  TransformerOptions options) {
        this.file = file;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.options = options;
    }

    /**
     * Opens a GGUF model on a backend.
     *
     * @param options the KV cache and batch settings every session of this model uses
     * @throws IOException when the file cannot be read
     * @throws org.ristretto.core.gguf.GgufFormatException when the file is not valid GGUF
     * @throws org.ristretto.core.model.ModelFormatException when the architecture, a key or a tensor is wrong
     */
    public static Model open(Path path, Backend backend, TransformerOptions options) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfig.read(file);
            Tokenizer tokenizer = Tokenizer.fromGguf(file.metadata());
            ModelWeights weights = ModelWeights.load(file, config, backend);
            return new Model(file, config, tokenizer, weights, options);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /**
     * Opens a GGUF model on a backend that {@code openBackend} opens meanwhile, on a second thread: reading the
     * metadata and building the tokenizer take a few hundred milliseconds each on a large vocabulary in a cold JVM,
     * and so does opening a backend (worker threads, vector species, device probes), so a two-core machine does
     * both at once.
     *
     * <p>The backend then belongs to the caller, as with {@link #open(Path, Backend, TransformerOptions)}: close it
     * ({@link #backend()}) after the model. When anything fails, the backend, if it opened, is closed before the
     * failure is thrown; a failure to open the backend wins over one in the file, as if the backend had been opened
     * first.
     *
     * @throws IOException when the file cannot be read, or {@code openBackend} throws one
     */
    public static Model open(Path path, Callable<Backend> openBackend, TransformerOptions options)
            throws IOException {
        Background<Backend> opening = Background.start("ristretto-backend-open", openBackend);
        GgufFile file;
        ModelConfig config;
        Tokenizer tokenizer;
        try {
            file = GgufFile.open(path);
        } catch (IOException | RuntimeException | Error e) {
            closeAfterFailure(opening, e);
            throw e;
        }
        try {
            config = ModelConfig.read(file);
            tokenizer = Tokenizer.fromGguf(file.metadata());
        } catch (RuntimeException | Error e) {
            file.close();
            closeAfterFailure(opening, e);
            throw e;
        }
        Backend backend;
        try {
            backend = opening.join(IOException.class);
        } catch (IOException | RuntimeException | Error e) {
            file.close();
            throw e;
        }
        try {
            return new Model(file, config, tokenizer, ModelWeights.load(file, config, backend), options);
        } catch (RuntimeException | Error e) {
            try {
                file.close();
            } finally {
                backend.close();
            }
            throw e;
        }
    }

    /**
     * Waits for the backend after {@code failure} in the file and closes it; when the backend failed to open, that
     * failure is thrown instead, with {@code failure} suppressed.
     */
    private static void closeAfterFailure(Background<Backend> opening, Throwable failure) throws IOException {
        Backend backend;
        try {
            backend = opening.join(IOException.class);
        } catch (IOException | RuntimeException | Error e) {
            e.addSuppressed(failure);
            throw e;
        }
        backend.close();
    }

    /** A new session with its own KV cache (allocated now, on the model's backend). */
    public Session newSession() {
        return new Session(this, weights, options);
    }

    /** The hyperparameters read from the GGUF metadata. */
    public ModelConfig config() {
        return config;
    }

    /** The tokenizer the GGUF describes. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The mapped GGUF file (metadata and tensors). */
    public GgufFile file() {
        return file;
    }

    /** The backend the weights live on. */
    public Backend backend() {
        return weights.backend();
    }

    /** The KV cache and batch settings sessions use. */
    public TransformerOptions options() {
        return options;
    }

    /**
     * The chat template to use: the GGUF's own, or {@code override} (a built-in name or a template file) when not null.
     *
     * @throws IllegalArgumentException when there is no template or the override names nothing known
     */
    public ChatTemplate chatTemplate(String override) {
        return ChatTemplates.resolve(file.metadata(), override);
    }

    /** Releases the weights and unmaps the file. */
    @Override
    public void close() {
        try {
            weights.close();
        } finally {
            file.close();
        }
    }
}
