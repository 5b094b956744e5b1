package org.ristretto.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.ristretto.bench.LlamaCppNative.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A GGUF model loaded by llama.cpp (memory-mapped, CPU backend), with its vocabulary. Contexts (KV caches) are made
 * from it with {@link #newContext}; a model outlives its contexts.
 */
public final class LlamaCppModel implements AutoCloseable {
    private final LlamaCppNative lib;
    private final Path file;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment model;
    private final MemorySegment vocab;

    private LlamaCppModel(LlamaCppNative lib, Path file) {
        this.lib = lib;
        this.file = file;
        try {
            MemorySegment params = (MemorySegment) lib.modelDefaultParams.invokeExact((SegmentAllocator) arena);
            MemorySegment path = arena.allocateFrom(file.toString());
            long mark = lib.logMark();
            model = (MemorySegment) lib.modelLoadFromFile.invokeExact(path, params);
            if (model.equals(MemorySegment.NULL)) {
                arena.close();
                throw new IllegalArgumentException(file + ": llama.cpp could not load the model: " + lib.failureSince(mark));
            }
            vocab = (MemorySegment) lib.modelGetVocab.invokeExact(model);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Loads a GGUF file.
     *
     * @throws NoSuchFileException      if the file is absent
     * @throws IllegalArgumentException if llama.cpp rejects the file, with llama.cpp's last log line
     * @throws IllegalStateException    if the llama.cpp library cannot be loaded here (see {@link LlamaCppNative#get})
     */
    public static LlamaCppModel open(Path gguf) throws NoSuchFileException {
        if (!Files.isRegularFile(gguf)) {
            throw new NoSuchFileException(gguf.toString());
        }
        return new LlamaCppModel(LlamaCppNative.get(), gguf);
    }

    /** A new context (KV cache) on this model. */
    public LlamaCppContext newContext(LlamaCppContext.Options options) {
        return new LlamaCppContext(lib, this, options);
    }

    MemorySegment handle() {
        return model;
    }

    public Path file() {
        return file;
    }

    /** llama.cpp's one-line description of the model ({@code llama 1B Q4_0}, say), as llama-bench prints it. */
    public String description() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            int n = (int) lib.modelDesc.invokeExact(model, buf, buf.byteSize());
            return n < 0 ? "?" : buf.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes of all weight tensors (llama-bench's {@code model_size}). */
    public long sizeBytes() {
        try {
            return (long) lib.modelSize.invokeExact(model);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Weights in all tensors (llama-bench's {@code model_n_params}). */
    public long parameterCount() {
        try {
            return (long) lib.modelNParams.invokeExact(model);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int vocabSize() {
        try {
            return (int) lib.vocabNTokens.invokeExact(vocab);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int bos() {
        try {
            return (int) lib.vocabBos.invokeExact(vocab);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether the vocabulary asks for BOS in front of a prompt. */
    public boolean addsBos() {
        try {
            return (boolean) lib.vocabGetAddBos.invokeExact(vocab);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether the token ends generation (EOS, EOT and the like). */
    public boolean isEndOfGeneration(int token) {
        try {
            return (boolean) lib.vocabIsEog.invokeExact(vocab, token);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** llama.cpp's tokenization of {@code text}. */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        try (Arena a = Arena.ofConfined()) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment src = a.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, src, JAVA_BYTE, 0, utf8.length);
            int cap = utf8.length + 8;
            MemorySegment out = a.allocate(JAVA_INT, cap);
            int n = (int) lib.tokenize.invokeExact(vocab, src, utf8.length, out, cap, addSpecial, parseSpecial);
            if (n < 0) {
                throw new IllegalStateException("llama_tokenize needs " + (-n) + " slots, more than " + cap);
            }
            return out.asSlice(0, (long) n * Integer.BYTES).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The text of one token (special tokens rendered too); a partial UTF-8 sequence shows as U+FFFD. */
    public String piece(int token) {
        return new String(pieceBytes(token), StandardCharsets.UTF_8);
    }

    /** The bytes of one token, special tokens rendered too. */
    public byte[] pieceBytes(int token) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            int n = (int) lib.tokenToPiece.invokeExact(vocab, token, buf, (int) buf.byteSize(), 0, true);
            if (n < 0) {
                throw new IllegalStateException("token " + token + " needs a piece buffer of " + (-n) + " bytes");
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Frees the model; close its contexts first. */
    @Override
    public void close() {
        if (!arena.scope().isAlive()) {
            return;
        }
        try {
            lib.modelFree.invokeExact(model);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            arena.close();
        }
    }
}
