package org.ristretto.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.synth.LlamaFileType;
import org.ristretto.core.synth.SynthPreset;
import org.ristretto.core.synth.SyntheticModelWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto synth}: a random-weight model with a real model's shapes, tokenizer and quantization mix. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a random-weight GGUF model with a real model's shapes, the tokenizer of a vocabulary GGUF,"
                + " and weights quantized as llama-quantize would for the type.",
                "For speed and memory tests: the weights are seeded noise, so the text it writes is noise too."})
final class SynthCommand implements Callable<Integer> {

    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "Model shape: llama-3.2-1b, llama-3.2-3b, llama-3.1-8b, qwen3-0.6b, qwen3-1.7b"
                    + " (tiny-llama and tiny-qwen3 are small test shapes).")
    String preset;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "llama.cpp file type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m,"
                    + " q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k.")
    String type;

    @Option(names = "--vocab", required = true, paramLabel = "VOCAB.gguf",
            description = "A GGUF whose tokenizer.* keys the model takes (llama3-vocab.gguf, qwen3-vocab.gguf).")
    Path vocab;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The GGUF to write.")
    Path output;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Threads that quantize (default: all processors).")
    Integer threads;

    @Option(names = "--pure", description = "Every weight in the type's base type, without llama.cpp's mix rules.")
    boolean pure;

    @Option(names = "--progress", description = "Print each tensor as it is written (on standard error).")
    boolean progress;

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SynthPreset p;
        LlamaFileType fileType;
        try {
            p = SynthPreset.byName(preset);
            fileType = LlamaFileType.fromCliName(type);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var options = new SyntheticModelWriter.Options(p, fileType, seed, n, pure);
        long start = System.nanoTime();
        SyntheticModelWriter.Result r;
        try (GgufFile v = GgufFile.open(vocab)) {
            r = SyntheticModelWriter.write(options, v, output, !progress ? null : (i, count, t) -> {
                err.printf("[%d/%d] %-28s %-6s %s%n", i + 1, count, t.name(), t.type().ggmlName(),
                        Sizes.bytes(t.bytes()));
                err.flush();
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf("wrote %s (%s): %s, %s, %s parameters, seed %d, in %.1f s%n", r.file(), Sizes.bytes(r.fileBytes()),
                p.name(), fileType.cliName(), Sizes.count(r.parameters()), seed, seconds);
        r.bytesPerType().forEach((t, b) -> out.printf("  %-6s %12s%n", t, Sizes.bytes(b)));
        out.flush();
        return 0;
    }
}
