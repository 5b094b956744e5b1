package org.ristretto.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ristretto.core.quant.GgmlType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The command line of {@link LlamaCppPeer}: llama-bench's flags and defaults (except flash attention, on by default
 * here), one test per combination of prompt/generation length, depth and flash-attention setting.
 */
@Command(name = "llamacpp-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "llama-bench's pp/tg tests on llama.cpp (build 4916, from the de.kherud:llama jar).")
final class LlamaBenchCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, split = ",", paramLabel = "FILE",
            description = "GGUF model file(s).")
    List<Path> models;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "512", paramLabel = "N",
            description = "Prompt lengths for pp tests; 0 for none (default ${DEFAULT-VALUE}).")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "128", paramLabel = "N",
            description = "Generation lengths for tg tests; 0 for none (default ${DEFAULT-VALUE}).")
    List<Integer> gens;

    @Option(names = {"-pg"}, paramLabel = "PP,TG",
            description = "A combined test: PP prompt tokens then TG generated ones, timed together.")
    List<String> promptGen = new ArrayList<>();

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0", paramLabel = "D",
            description = "Tokens already in the KV cache before each test (default ${DEFAULT-VALUE}).")
    List<Integer> depths;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "2048", description = "n_batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512",
            description = "n_ubatch (default ${DEFAULT-VALUE}).")
    int ubatch;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "T",
            description = "Thread counts (default: the processors the JVM sees).")
    List<Integer> threads;

    @Option(names = {"-fa", "--flash-attn"}, split = ",", defaultValue = "1", paramLabel = "0|1",
            description = "Flash attention off (0) or on (1) (default ${DEFAULT-VALUE}).")
    List<Integer> flashAttn;

    @Option(names = {"-ctk", "--cache-type"}, defaultValue = "f16", paramLabel = "TYPE",
            description = "KV cache type: f16, f32, q8_0, ... (default ${DEFAULT-VALUE}; quantized needs -fa 1).")
    String cacheType;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Repetitions (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-o", "--output"}, defaultValue = "md", paramLabel = "md|json|jsonl",
            description = "Output format (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--no-warmup", description = "Skip the warm-up run.")
    boolean noWarmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random token ids (default ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LlamaBenchCommand());
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("llamacpp-bench: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            c.getErr().println("llamacpp-bench: " + (ex instanceof java.nio.file.NoSuchFileException
                    ? "no such file: " + msg : msg.replace('\n', ' ')));
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        GgmlType kv = GgmlType.fromName(cacheType).orElseThrow(() -> new CommandLine.ParameterException(
                spec.commandLine(), "unknown cache type '" + cacheType + "'"));
        if (!List.of("md", "json", "jsonl").contains(output)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "output must be md, json or jsonl");
        }
        List<Integer> threadCounts = threads == null
                ? List.of(Runtime.getRuntime().availableProcessors()) : threads;
        List<LlamaBenchTest> tests = tests();
        for (Path m : models) {
            if (!java.nio.file.Files.isRegularFile(m)) {
                throw new java.nio.file.NoSuchFileException(m.toString());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        LlamaCppNative lib = LlamaCppNative.get();
        LlamaBenchReport report = new LlamaBenchReport(lib.commit(), lib.buildNumber());
        List<LlamaBenchResult> results = new ArrayList<>();
        if (output.equals("md")) {
            report.printTableHeader(out);
        }
        for (Path model : models) {
            for (int t : threadCounts) {
                for (int fa : flashAttn) {
                    var settings = new LlamaCppPeer.Settings(t, batch, ubatch, fa != 0, kv, repetitions, !noWarmup,
                            seed);
                    try (LlamaCppPeer peer = LlamaCppPeer.open(model, settings)) {
                        for (LlamaBenchTest test : tests) {
                            LlamaBenchResult r = peer.run(test);
                            results.add(r);
                            switch (output) {
                                case "md" -> report.printTableRow(out, r);
                                case "jsonl" -> out.println(report.toJsonLine(r));
                                default -> { }
                            }
                            out.flush();
                        }
                    }
                }
            }
        }
        switch (output) {
            case "md" -> report.printTableFooter(out);
            case "json" -> out.println(report.toJson(results));
            default -> { }
        }
        out.flush();
        return 0;
    }

    private List<LlamaBenchTest> tests() {
        List<LlamaBenchTest> tests = new ArrayList<>();
        for (int d : depths) {
            for (int p : prompts) {
                if (p > 0) {
                    tests.add(LlamaBenchTest.pp(p, d));
                }
            }
            for (int n : gens) {
                if (n > 0) {
                    tests.add(LlamaBenchTest.tg(n, d));
                }
            }
            for (String pg : promptGen) {
                String[] parts = pg.split(",");
                if (parts.length != 2) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "-pg takes PP,TG, not " + pg);
                }
                tests.add(new LlamaBenchTest(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()), d));
            }
        }
        if (tests.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no test to run: all lengths are 0");
        }
        return tests;
    }
}
