package org.ristretto.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ristretto.core.generate.GenerationOptions;
import org.ristretto.core.generate.GenerationResult;
import org.ristretto.core.generate.Session;
import org.ristretto.core.sampling.SamplingParams;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ristretto run}: one prompt in, generated text streamed out. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a prompt. Only the generated text goes to stdout (the prompt too with --echo);",
                "load time, prompt and generation speed and peak memory go to stderr."})
final class RunCommand implements Callable<Integer> {

    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt.")
        String text;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from a file (UTF-8).")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompt;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Tokens to generate; -1 = until an end token or the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "S", description = "Stop when this text appears (not printed); repeatable.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--echo", description = "Print the prompt before the generated text.")
    boolean echo;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions samplingOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SamplingParams sampling = Usage.check(spec, () -> {
            modelOptions.validate();
            if (maxTokens < -1) {
                throw new IllegalArgumentException("--n-predict must be -1 (no limit) or at least 0, not " + maxTokens);
            }
            return samplingOptions.params();
        });
        String text = prompt.text != null ? prompt.text : Files.readString(prompt.file, StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ModelOptions.Loaded loaded = modelOptions.load(err);
             Session session = loaded.model().newSession()) {
            int[] ids = loaded.model().tokenizer().encode(text, true, true);
            if (ids.length == 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "the prompt is empty and the model adds no BOS token: give some text");
            }
            if (echo) {
                out.print(text);
                out.flush();
            }
            GenerationResult r = session.generate(ids, new GenerationOptions(sampling, maxTokens, stops), piece -> {
                out.print(piece);
                out.flush();
            }, () -> false);
            out.println();
            out.flush();
            loaded.fallbacks().print(err);
            RunStats.printLoadAndMemory(err, loaded.loadNanos());
            RunStats.print(err, r);
        }
        return 0;
    }
}
