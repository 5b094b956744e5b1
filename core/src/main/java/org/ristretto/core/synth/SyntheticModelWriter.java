package org.ristretto.core.synth;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufValue;
import org.ristretto.core.gguf.GgufValueType;
import org.ristretto.core.gguf.GgufWriter;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormat;
import org.ristretto.core.quant.QuantFormats;

/**
 * Writes a random-weight GGUF model with a real model's shapes ({@link SynthPreset}): the metadata llama.cpp reads for
 * the architecture, the tokenizer of a vocabulary GGUF, and seeded weights quantized as llama-quantize would for a
 * {@link LlamaFileType} (see {@link TensorTypeChooser}).
 *
 * <p>Memory stays bounded by one tensor: weights are made and quantized row by row, on several threads, straight
 * into one reused buffer that the {@link GgufWriter} writes out before it asks for the next tensor. An 8B model needs
 * about 0.5 GB (its largest tensor, the Q6_K output matrix), never the model.
 */
public final class SyntheticModelWriter {
    private static final int ROWS_PER_TASK = 64;
    private static final long UNUSED_TOKEN = 5; // llama.cpp's LLAMA_TOKEN_TYPE_UNUSED

    /**
     * What to write.
     *
     * @param threads threads that make and quantize rows
     * @param pure    llama-quantize's {@code --pure}: no mix rules, every weight in the default type
     */
    public record Options(SynthPreset preset, LlamaFileType fileType, long seed, int threads, boolean pure) {
        public Options {
            if (threads <= 0) {
                throw new IllegalArgumentException("threads must be positive");
            }
        }
    }

    /** One tensor as written. */
    public record TensorPlan(String name, long[] dims, GgmlType type) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        public long bytes() {
            return type.byteSize(elements());
        }
    }

    /** What was written: the file, its size, and every tensor with its type. */
    public record Result(Path file, long fileBytes, List<TensorPlan> tensors) {
        public long parameters() {
            return tensors.stream().mapToLong(TensorPlan::elements).sum();
        }

        /** Tensor bytes per type, by type name. */
        public Map<String, Long> bytesPerType() {
            Map<String, Long> m = new TreeMap<>();
            tensors.forEach(t -> m.merge(t.type().ggmlName(), t.bytes(), Long::sum));
            return m;
        }
    }

    /** Told when each tensor has been made and quantized. */
    @FunctionalInterface
    public interface Progress {
        void tensorDone(int index, int count, TensorPlan tensor);
    }

    private SyntheticModelWriter() {}

    /**
     * The tensors and types a file would have, without making any weights.
     *
     * @param vocabSize the token count of the vocabulary
     */
    public static List<TensorPlan> plan(Options o, int vocabSize) {
        TensorTypeChooser chooser = TensorTypeChooser.forPreset(o.preset(), o.fileType(), o.pure());
        List<TensorPlan> plans = new ArrayList<>();
        for (SynthTensor t : SynthTensor.of(o.preset(), vocabSize)) {
            plans.add(new TensorPlan(t.name(), t.dims(), chooser.typeOf(t.name(), t.dims(), GgmlType.F32)));
        }
        return plans;
    }

    /**
     * Writes the model to {@code out} (atomically: a failure leaves no partial file).
     *
     * @param vocab a GGUF whose {@code tokenizer.*} keys become the model's tokenizer
     * @throws IllegalArgumentException if the vocabulary has no tokens or more than the preset's embedding rows
     */
    public static Result write(Options o, GgufFile vocab, Path out, Progress progress) throws IOException {
        SynthPreset p = o.preset();
        GgufMetadata vm = vocab.metadata();
        if (!vm.contains("tokenizer.ggml.tokens")) {
            throw new IllegalArgumentException(vocab.path() + ": no tokenizer.ggml.tokens, so not a vocabulary");
        }
        int tokens = vm.getArray("tokenizer.ggml.tokens").length();
        int vocabSize = p.vocabSize() == 0 ? tokens : p.vocabSize();
        if (tokens > vocabSize) {
            throw new IllegalArgumentException(vocab.path() + ": " + tokens + " tokens do not fit the " + vocabSize
                    + " embedding rows of " + p.name());
        }
        GgufWriter w = new GgufWriter();
        putModelMetadata(w, o, vocabSize);
        putTokenizer(w, vm, vocabSize);

        List<SynthTensor> specs = SynthTensor.of(p, vocabSize);
        List<TensorPlan> plans = plan(o, vocabSize);
        long largest = plans.stream().mapToLong(TensorPlan::bytes).max().orElse(0);
        RandomWeights random = new RandomWeights(o.seed());
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
            Thread t = new Thread(r, "synth-quantize");
            t.setDaemon(true);
            return t;
        });
        try (Arena arena = Arena.ofShared()) {
            // One buffer for every tensor: the writer asks for a tensor only after writing the previous one.
            MemorySegment buffer = arena.allocate(Math.max(largest, 1), 64);
            for (int i = 0; i < specs.size(); i++) {
                SynthTensor spec = specs.get(i);
                TensorPlan plan = plans.get(i);
                int index = i;
                w.addTensor(plan.name(), plan.type(), plan.dims(), () -> {
                    MemorySegment dst = buffer.asSlice(0, plan.bytes());
                    fill(spec, plan.type(), dst, p, random, pool, o.threads());
                    if (progress != null) {
                        progress.tensorDone(index, specs.size(), plan);
                    }
                    return dst;
                });
            }
            w.write(out);
        } finally {
            pool.shutdownNow();
        }
        return new Result(out, Files.size(out), plans);
    }

    private static void putModelMetadata(GgufWriter w, Options o, int vocabSize) {
        SynthPreset p = o.preset();
        String a = p.architecture();
        w.putString("general.architecture", a);
        w.putString("general.type", "model");
        w.putString("general.name", p.displayName(o.seed()));
        w.putUInt32(a + ".context_length", p.contextLength());
        w.putUInt32(a + ".embedding_length", p.embedding());
        w.putUInt32(a + ".block_count", p.layers());
        w.putUInt32(a + ".feed_forward_length", p.feedForward());
        w.putUInt32(a + ".attention.head_count", p.heads());
        w.putUInt32(a + ".attention.head_count_kv", p.kvHeads());
        w.putFloat32(a + ".rope.freq_base", p.ropeTheta());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", p.rmsEps());
        w.putUInt32(a + ".attention.key_length", p.headDim());
        w.putUInt32(a + ".attention.value_length", p.headDim());
        if (a.equals("llama")) {
            w.putUInt32("llama.vocab_size", vocabSize);
            w.putUInt32("llama.rope.dimension_count", p.headDim());
        }
        w.putUInt32("general.file_type", o.fileType().id());
        w.putUInt32("general.quantization_version", 2);
    }

    /**
     * Copies every {@code tokenizer.*} key; where the model has more embedding rows than the vocabulary has tokens
     * (Qwen3's 151936 rows for 151669 tokens), pads the token list as llama.cpp's converter does, with
     * {@code [PAD<id>]} tokens of type UNUSED, so that llama.cpp sees as many tokens as rows.
     */
    private static void putTokenizer(GgufWriter w, GgufMetadata vm, int vocabSize) {
        for (Map.Entry<String, GgufValue> e : vm.asMap().entrySet()) {
            if (e.getKey().startsWith("tokenizer.")) {
                w.put(e.getKey(), e.getValue());
            }
        }
        int tokens = vm.getArray("tokenizer.ggml.tokens").length();
        if (tokens == vocabSize) {
            return;
        }
        String[] names = Arrays.copyOf(vm.getStringArray("tokenizer.ggml.tokens"), vocabSize);
        for (int i = tokens; i < vocabSize; i++) {
            names[i] = "[PAD" + i + "]";
        }
        w.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(names));
        vm.findArray("tokenizer.ggml.token_type").ifPresent(types ->
                w.putArray("tokenizer.ggml.token_type", padded(types, vocabSize, UNUSED_TOKEN)));
        vm.findArray("tokenizer.ggml.scores").ifPresent(scores ->
                w.putArray("tokenizer.ggml.scores", padded(scores, vocabSize, 0)));
    }

    private static GgufArray padded(GgufArray a, int length, long fill) {
        if (a.elementType() == GgufValueType.FLOAT32) {
            float[] v = Arrays.copyOf(a.floats(), length);
            Arrays.fill(v, a.length(), length, fill);
            return GgufArray.ofFloats(v);
        }
        if (a.elementType() == GgufValueType.INT32 || a.elementType() == GgufValueType.UINT32) {
            int[] v = Arrays.copyOf((int[]) a.values(), length);
            Arrays.fill(v, a.length(), length, (int) fill);
            return new GgufArray(a.elementType(), v);
        }
        throw new IllegalArgumentException("cannot pad a tokenizer array of " + a.elementType());
    }

    /** Makes and converts every row of one tensor into {@code dst}, spread over the pool. */
    private static void fill(SynthTensor spec, GgmlType type, MemorySegment dst, SynthPreset p,
                             RandomWeights random, ExecutorService pool, int threads) {
        int rowLength = Math.toIntExact(spec.dims()[0]);
        long rows = spec.rows();
        switch (spec.init()) {
            case ONES -> writeRow(filled(rowLength, 1f), type, dst, 0);
            case ROPE_FACTORS -> writeRow(SynthTensor.ropeFactors(p), type, dst, 0);
            case NORMAL -> {
                QuantFormat format = QuantFormats.of(type);
                long rowBytes = type.byteSize(rowLength);
                long tasks = Math.max(threads, (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
                long perTask = (rows + tasks - 1) / tasks;
                List<Future<?>> done = new ArrayList<>();
                for (long first = 0; first < rows; first += perTask) {
                    long from = first;
                    long to = Math.min(rows, first + perTask);
                    done.add(pool.submit(() -> {
                        float[] row = new float[rowLength];
                        for (long r = from; r < to; r++) {
                            random.fillRow(spec.name(), r, spec.std(), row, 0, rowLength);
                            format.quantize(row, 0, dst, r * rowBytes, rowLength);
                        }
                    }));
                }
                awaitAll(spec.name(), done);
            }
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static void writeRow(float[] values, GgmlType type, MemorySegment dst, long offset) {
        if (type == GgmlType.F32) {
            MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    offset, values.length);
        } else {
            QuantFormats.of(type).quantize(values, 0, dst, offset, values.length);
        }
    }

    private static void awaitAll(String tensor, List<Future<?>> futures) {
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making tensor " + tensor, e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("making tensor " + tensor + " failed", cause);
        }
    }
}
