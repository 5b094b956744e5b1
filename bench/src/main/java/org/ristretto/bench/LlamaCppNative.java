package org.ristretto.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * llama.cpp's C API, called through the FFM API on the native library that the Maven Central artifact
 * {@code de.kherud:llama:4.2.0} carries ({@code de/kherud/llama/Linux/x86_64/libjllama.so}, llama.cpp build 4916,
 * commit {@code c6af2161}, CPU backend for AVX2/FMA/F16C with OpenMP).
 *
 * <p>Why not the binding's own Java API: {@code de.kherud.llama.LlamaModel} wraps llama.cpp's server loop and only
 * returns completed text, so it can neither time prompt processing apart from generation nor return logits. The same
 * shared library exports llama.cpp's whole public C API ({@code llama_decode}, {@code llama_get_logits_ith}, ...), so
 * this class calls that directly, as llama-bench does, and the JNI half of the binding is not used at all.
 *
 * <p>The struct layouts below are those of build 4916's {@code llama.h}. They differ between llama.cpp builds, so
 * {@link #load} checks the library's build number and the default values the library itself returns for each
 * struct, and refuses a library that does not match rather than pass it garbage.
 *
 * <p>The library is process-wide native state (llama.cpp's logger and backend registry are global), so one instance
 * is shared: {@link #get()}.
 */
public final class LlamaCppNative {
    /** The llama.cpp build whose struct layouts this class encodes. */
    public static final int EXPECTED_BUILD = 4916;
    /** Where the binding's jar keeps the Linux x86-64 library. */
    public static final String RESOURCE = "de/kherud/llama/Linux/x86_64/libjllama.so";

    static final int GGML_TYPE_F16 = 1;
    private static final int LOG_LEVEL_WARN = 3;
    private static final int LOG_LINES_KEPT = 20;

    /** {@code struct llama_model_params} of build 4916 (64 bytes). */
    static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
            ADDRESS.withName("devices"),
            JAVA_INT.withName("n_gpu_layers"),
            JAVA_INT.withName("split_mode"),
            JAVA_INT.withName("main_gpu"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("tensor_split"),
            ADDRESS.withName("progress_callback"),
            ADDRESS.withName("progress_callback_user_data"),
            ADDRESS.withName("kv_overrides"),
            JAVA_BOOLEAN.withName("vocab_only"),
            JAVA_BOOLEAN.withName("use_mmap"),
            JAVA_BOOLEAN.withName("use_mlock"),
            JAVA_BOOLEAN.withName("check_tensors"),
            MemoryLayout.paddingLayout(4));

    /** {@code struct llama_context_params} of build 4916 (120 bytes). */
    static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("n_ctx"),
            JAVA_INT.withName("n_batch"),
            JAVA_INT.withName("n_ubatch"),
            JAVA_INT.withName("n_seq_max"),
            JAVA_INT.withName("n_threads"),
            JAVA_INT.withName("n_threads_batch"),
            JAVA_INT.withName("rope_scaling_type"),
            JAVA_INT.withName("pooling_type"),
            JAVA_INT.withName("attention_type"),
            JAVA_FLOAT.withName("rope_freq_base"),
            JAVA_FLOAT.withName("rope_freq_scale"),
            JAVA_FLOAT.withName("yarn_ext_factor"),
            JAVA_FLOAT.withName("yarn_attn_factor"),
            JAVA_FLOAT.withName("yarn_beta_fast"),
            JAVA_FLOAT.withName("yarn_beta_slow"),
            JAVA_INT.withName("yarn_orig_ctx"),
            JAVA_FLOAT.withName("defrag_thold"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("cb_eval"),
            ADDRESS.withName("cb_eval_user_data"),
            JAVA_INT.withName("type_k"),
            JAVA_INT.withName("type_v"),
            JAVA_BOOLEAN.withName("logits_all"),
            JAVA_BOOLEAN.withName("embeddings"),
            JAVA_BOOLEAN.withName("offload_kqv"),
            JAVA_BOOLEAN.withName("flash_attn"),
            JAVA_BOOLEAN.withName("no_perf"),
            MemoryLayout.paddingLayout(3),
            ADDRESS.withName("abort_callback"),
            ADDRESS.withName("abort_callback_data"));

    /** {@code struct llama_batch} (56 bytes; unchanged since 2024). */
    static final StructLayout BATCH = MemoryLayout.structLayout(
            JAVA_INT.withName("n_tokens"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("token"),
            ADDRESS.withName("embd"),
            ADDRESS.withName("pos"),
            ADDRESS.withName("n_seq_id"),
            ADDRESS.withName("seq_id"),
            ADDRESS.withName("logits"));

    /**
     * {@code struct llama_perf_context_data}: four doubles and two int32 in build 4916. It is only ever returned (through
     * a hidden pointer, being over 16 bytes), so the layout leaves room for the third int32 later builds added.
     */
    static final StructLayout PERF_CONTEXT = MemoryLayout.structLayout(
            JAVA_DOUBLE.withName("t_start_ms"),
            JAVA_DOUBLE.withName("t_load_ms"),
            JAVA_DOUBLE.withName("t_p_eval_ms"),
            JAVA_DOUBLE.withName("t_eval_ms"),
            JAVA_INT.withName("n_p_eval"),
            JAVA_INT.withName("n_eval"),
            JAVA_INT.withName("n_reused"),
            MemoryLayout.paddingLayout(4));

    private static volatile LlamaCppNative instance;

    private final Path library;
    private final int buildNumber;
    private final String commit;
    private final String systemInfo;
    private final Deque<String> recentLog = new ArrayDeque<>();
    private long logLines;

    final MethodHandle modelDefaultParams;
    final MethodHandle contextDefaultParams;
    final MethodHandle modelLoadFromFile;
    final MethodHandle modelFree;
    final MethodHandle initFromModel;
    final MethodHandle free;
    final MethodHandle modelGetVocab;
    final MethodHandle modelDesc;
    final MethodHandle modelSize;
    final MethodHandle modelNParams;
    final MethodHandle vocabNTokens;
    final MethodHandle vocabBos;
    final MethodHandle vocabGetAddBos;
    final MethodHandle vocabIsEog;
    final MethodHandle tokenize;
    final MethodHandle tokenToPiece;
    final MethodHandle batchGetOne;
    final MethodHandle decode;
    final MethodHandle synchronize;
    final MethodHandle getLogitsIth;
    final MethodHandle kvSelfClear;
    final MethodHandle kvSelfSeqRm;
    final MethodHandle setNThreads;
    final MethodHandle nCtx;
    final MethodHandle perfContext;
    final MethodHandle perfContextReset;

    private LlamaCppNative(Path library) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        // The library stays loaded for the life of the process, like a System.load'ed one.
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            // dlopen failed: a glibc, libstdc++ or libgomp this machine lacks (see ldd on the extracted file).
            throw new IllegalStateException("cannot load " + library + ": " + e.getMessage(), e);
        }
        buildNumber = lib.find("LLAMA_BUILD_NUMBER").orElseThrow(() -> missing("LLAMA_BUILD_NUMBER"))
                .reinterpret(4).get(JAVA_INT, 0);
        commit = lib.find("LLAMA_COMMIT").orElseThrow(() -> missing("LLAMA_COMMIT"))
                .reinterpret(ADDRESS.byteSize()).get(ADDRESS, 0).reinterpret(256).getString(0);
        if (buildNumber != EXPECTED_BUILD) {
            throw new IllegalStateException(library + " is llama.cpp build " + buildNumber + " (" + commit
                    + "); the struct layouts here are those of build " + EXPECTED_BUILD);
        }
        Binder b = new Binder(linker, lib);
        modelDefaultParams = b.bind("llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
        contextDefaultParams = b.bind("llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
        modelLoadFromFile = b.bind("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
        modelFree = b.bind("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        initFromModel = b.bind("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
        free = b.bind("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = b.bind("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        modelDesc = b.bind("llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        modelSize = b.bind("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelNParams = b.bind("llama_model_n_params", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        vocabNTokens = b.bind("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabBos = b.bind("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabGetAddBos = b.bind("llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        vocabIsEog = b.bind("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
        tokenize = b.bind("llama_tokenize", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
        tokenToPiece = b.bind("llama_token_to_piece", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
        batchGetOne = b.bind("llama_batch_get_one", FunctionDescriptor.of(BATCH, ADDRESS, JAVA_INT));
        decode = b.bind("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        synchronize = b.bind("llama_synchronize", FunctionDescriptor.ofVoid(ADDRESS));
        getLogitsIth = b.bind("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        kvSelfClear = b.bind("llama_kv_self_clear", FunctionDescriptor.ofVoid(ADDRESS));
        kvSelfSeqRm = b.bind("llama_kv_self_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        setNThreads = b.bind("llama_set_n_threads", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        nCtx = b.bind("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        perfContext = b.bind("llama_perf_context", FunctionDescriptor.of(PERF_CONTEXT, ADDRESS));
        perfContextReset = b.bind("llama_perf_context_reset", FunctionDescriptor.ofVoid(ADDRESS));

        installLogger(linker, b);
        checkDefaults();
        try {
            b.bind("llama_backend_init", FunctionDescriptor.ofVoid()).invokeExact();
            MethodHandle info = b.bind("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
            systemInfo = ((MemorySegment) info.invokeExact()).reinterpret(4096).getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The shared instance, loading the library from the {@code de.kherud:llama} jar on the class path on first use.
     *
     * @throws IllegalStateException if this is not Linux x86-64, the jar is absent, or the library is not the
     *                               expected llama.cpp build
     */
    public static LlamaCppNative get() {
        LlamaCppNative n = instance;
        if (n == null) {
            synchronized (LlamaCppNative.class) {
                n = instance;
                if (n == null) {
                    n = new LlamaCppNative(extractLibrary());
                    instance = n;
                }
            }
        }
        return n;
    }

    /** The extracted shared library this instance runs. */
    public Path library() {
        return library;
    }

    /** llama.cpp's build number ({@code LLAMA_BUILD_NUMBER}). */
    public int buildNumber() {
        return buildNumber;
    }

    /** llama.cpp's short commit hash ({@code LLAMA_COMMIT}). */
    public String commit() {
        return commit;
    }

    /** What {@code llama_print_system_info} says: the CPU features the library was built for. */
    public String systemInfo() {
        return systemInfo;
    }

    /** llama.cpp's most recent warning and error lines, oldest first (its own log goes nowhere else). */
    public List<String> recentLog() {
        synchronized (recentLog) {
            return List.copyOf(recentLog);
        }
    }

    /** A mark in llama.cpp's log, for {@link #failureSince}. */
    long logMark() {
        synchronized (recentLog) {
            return logLines;
        }
    }

    /**
     * Why a call after {@code mark} failed, in llama.cpp's words: its error lines since then (the last warning
     * where there is none), for exception messages.
     */
    String failureSince(long mark) {
        synchronized (recentLog) {
            int fresh = (int) Math.min(recentLog.size(), logLines - mark);
            List<String> lines = List.copyOf(recentLog).subList(recentLog.size() - fresh, recentLog.size());
            List<String> errors = lines.stream().filter(l -> l.contains("error")).toList();
            if (!errors.isEmpty()) {
                return String.join("; ", errors);
            }
            return lines.isEmpty() ? "(llama.cpp logged no reason)" : lines.getLast();
        }
    }

    private static Path extractLibrary() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException("the llama.cpp peer needs Linux on x86-64; this is " + os + " " + arch);
        }
        try (InputStream in = LlamaCppNative.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path: the bench module needs the"
                        + " de.kherud:llama:4.2.0 jar (run from bench/target/lib, see the README)");
            }
            Path dir = Files.createTempDirectory("ristretto-llamacpp");
            Path so = dir.resolve("libjllama.so");
            Files.copy(in, so, StandardCopyOption.REPLACE_EXISTING);
            so.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return so;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + RESOURCE + " to a temporary file", e);
        }
    }

    /** Sends llama.cpp's log to a small ring of warnings and errors instead of stderr, as llama-bench does. */
    private void installLogger(Linker linker, Binder b) {
        try {
            MethodHandle target = MethodHandles.lookup().findVirtual(LlamaCppNative.class, "onLog",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class))
                    .bindTo(this);
            MemorySegment stub = linker.upcallStub(target,
                    FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
            b.bind("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS))
                    .invokeExact(stub, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @SuppressWarnings("unused") // called from native code through the upcall stub
    private void onLog(int level, MemorySegment text, MemorySegment userData) {
        if (level < LOG_LEVEL_WARN || text.equals(MemorySegment.NULL)) {
            return;
        }
        String line = text.reinterpret(Integer.MAX_VALUE).getString(0).strip();
        if (line.isEmpty()) {
            return;
        }
        synchronized (recentLog) {
            if (recentLog.size() == LOG_LINES_KEPT) {
                recentLog.removeFirst();
            }
            recentLog.addLast(line);
            logLines++;
        }
    }

    /** The default values the library returns must sit where the layouts say, else the layouts are wrong. */
    private void checkDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = (MemorySegment) modelDefaultParams.invokeExact((SegmentAllocator) arena);
            MemorySegment c = (MemorySegment) contextDefaultParams.invokeExact((SegmentAllocator) arena);
            boolean ok = m.get(JAVA_INT, offset(MODEL_PARAMS, "split_mode")) == 1
                    && m.get(JAVA_BOOLEAN, offset(MODEL_PARAMS, "use_mmap"))
                    && c.get(JAVA_INT, offset(CONTEXT_PARAMS, "n_ctx")) == 512
                    && c.get(JAVA_INT, offset(CONTEXT_PARAMS, "n_batch")) == 2048
                    && c.get(JAVA_FLOAT, offset(CONTEXT_PARAMS, "yarn_beta_fast")) == 32f
                    && c.get(JAVA_INT, offset(CONTEXT_PARAMS, "type_k")) == GGML_TYPE_F16
                    && c.get(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "offload_kqv"))
                    && c.get(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "no_perf"));
            if (!ok) {
                throw new IllegalStateException(library + ": llama.cpp's default parameters are not where build "
                        + EXPECTED_BUILD + "'s struct layouts put them; refusing to call it");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private IllegalStateException missing(String symbol) {
        return new IllegalStateException(library + " does not export " + symbol + ": not a llama.cpp library");
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private record Binder(Linker linker, SymbolLookup lib) {
        MethodHandle bind(String name, FunctionDescriptor fd) {
            MemorySegment addr = lib.find(name).orElseThrow(
                    () -> new IllegalStateException("llama.cpp library does not export " + name));
            return linker.downcallHandle(addr, fd);
        }
    }
}
