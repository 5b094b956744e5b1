package org.ristretto.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.tokenizer.Tokenizer;

/**
 * Encodes about 1 MB of mixed text (English prose, code, numbers, CJK, Cyrillic, Arabic, emoji, whitespace runs)
 * with a GGUF vocabulary, Llama 3's by default. The text is the reference tokenizer texts of {@code shared/models}
 * drawn in a fixed pseudo-random order, with random numbers between them so that words do not all repeat. The score
 * is milliseconds per megabyte-sized encode; MB/s is {@code textMiB * 1000 / score}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class TokenizerEncode {
    /** The vocabulary, relative to {@code shared/models}. */
    @Param({"vocab/llama3-vocab.gguf"})
    public String vocab;

    /** The reference texts to mix, relative to {@code shared/models}. */
    @Param({"reference/tokenizer-llama3.jsonl"})
    public String texts;

    /** The size of the text to encode in bytes of UTF-8. */
    @Param({"1048576"})
    public int bytes;

    private Tokenizer tokenizer;
    private String text;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Path models = sharedModels();
        try (GgufFile f = GgufFile.open(models.resolve(vocab))) {
            tokenizer = Tokenizer.fromGguf(f.metadata());
        }
        text = mixedText(models.resolve(texts), bytes);
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, true, false);
    }

    static String mixedText(Path jsonl, int bytes) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> samples = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                samples.add(json.readTree(line).get("text").asText());
            }
        }
        SplittableRandom random = new SplittableRandom(42);
        StringBuilder sb = new StringBuilder(bytes);
        int size = 0;
        while (size < bytes) {
            String piece = samples.get(random.nextInt(samples.size())) + " " + random.nextInt(100_000) + "\n";
            sb.append(piece);
            size += piece.getBytes(StandardCharsets.UTF_8).length;
        }
        return sb.toString();
    }

    /** {@code shared/models} beside the checkout, searched upwards from the working directory. */
    static Path sharedModels() {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 6 && dir != null; i++, dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("models");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/models was not found above " + Path.of("").toAbsolutePath());
    }
}
