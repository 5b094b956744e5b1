package org.ristretto.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ristretto.cli.bench.BenchModel;
import org.ristretto.cli.bench.BenchReport;
import org.ristretto.cli.bench.BenchResult;
import org.ristretto.cli.bench.BenchRunner;
import org.ristretto.cli.bench.BenchTest;
import org.ristretto.cli.bench.LengthList;
import org.ristretto.cli.bench.ProfileReport;
import org.ristretto.core.backend.BackendSelector;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ristretto bench}: llama-bench's prompt-processing and generation tests on Ristretto, with llama-bench's
 * flags, table and JSON field names, so that the same script reads both tools' output. See {@link BenchRunner} for
 * what is timed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prompt processing (pp N: N random tokens in batches) and generation (tg N: N one-token "
                + "steps), optionally after D tokens already in the KV cache, as llama-bench does: a warm-up, then "
                + "-r timed repetitions, tokens per second as mean ± standard deviation.",
                "Lengths take comma lists: -p 128,512 -n 0 -d 0,1024 runs pp128 and pp512 at depths 0 and 1024."})
final class BenchCommand implements Callable<Integer> {
    /** llama-bench's {@code rand()} starts from seed 1 too; any fixed seed makes runs repeatable. */
    private static final long TOKEN_SEED = 1;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "The GGUF model.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "512", paramLabel = "N",
            description = "Prompt lengths of pp tests (a list, ranges like 128-512*2); 0 for none "
                    + "(default ${DEFAULT-VALUE}).")
    List<String> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "128", paramLabel = "N",
            description = "Generated lengths of tg tests; 0 for none (default ${DEFAULT-VALUE}).")
    List<String> gens;

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0", paramLabel = "D",
            description = "Tokens already in the KV cache before each test, not timed (default ${DEFAULT-VALUE}).")
    List<String> depths;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", paramLabel = "N",
            description = "Timed repetitions of each test (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: the processors the JVM sees).")
    Integer threads;

    @Option(names = "--backend", defaultValue = BackendSelector.AUTO, paramLabel = "NAME",
            description = "auto, cpu, opencl or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "-1", paramLabel = "N",
            description = "Device index of the backend (default: its preferred one).")
    int device;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "" + TransformerOptions.DEFAULT_BATCH_SIZE,
            paramLabel = "N", description = "Most tokens per prefill step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--ctx-size", defaultValue = "0", paramLabel = "C",
            description = "KV cache positions for every test; 0 sizes each test to depth + prompt + generated tokens, "
                    + "as llama-bench does (default ${DEFAULT-VALUE}).")
    int contextSize;

    @Option(names = {"-ctk", "--cache-type"}, defaultValue = "f16", paramLabel = "TYPE",
            description = "KV cache type: f16, f32 or q8_0 (default ${DEFAULT-VALUE}).")
    String cacheType;

    @Option(names = {"-o", "--output"}, defaultValue = "md", paramLabel = "md|json|jsonl",
            description = "Output: a markdown table, a JSON array or one JSON object per line, with llama-bench's "
                    + "field names (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--no-warmup", description = "Skip the warm-up run before each test.")
    boolean noWarmup;

    @Option(names = "--no-repack", description = "Keep the weights only in the file's mapping: no packed copies for "
            + "decoding (see 'ristretto run --help').")
    boolean noRepack;

    @Option(names = "--huge-pages", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Put the packed copies on transparent huge pages, as a long-running process would: 1.5-4%% "
                    + "faster decoding for a slower start (default: on; 'ristretto run' has it off).")
    boolean hugePages;

    @Option(names = "--profile", description = "After each test, print to stderr where its timed repetitions' time "
            + "went: per backend operation (products per weight type and shape), calls per token, microseconds per "
            + "call, GB/s of weights, share of the time. Every operation is then followed by a synchronize.")
    boolean profile;

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        BenchRunner.Settings settings = settings();
        List<BenchTest> tests = tests();
        if (!List.of("md", "json", "jsonl").contains(output)) {
            throw usage("-o must be md, json or jsonl, not '" + output + "'");
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw usage("-t must be >= 1, got " + threadCount);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<BenchResult> results = new ArrayList<>();
        try (BenchModel bench = BenchModel.open(model, backend, device, threadCount,
                WeightPacking.of(!noRepack, hugePages), profile,
                err::println)) {
            FallbackNotes fallbacks = new FallbackNotes(bench.backend());
            fallbacks.print(err);
            BenchRunner runner = new BenchRunner(bench, settings);
            BenchReport report = new BenchReport(bench, settings);
            for (BenchTest test : tests) {
                BenchResult r = runner.run(test);
                fallbacks.print(err);
                r.boxedKernelNote().ifPresent(err::println);
                results.add(r);
                bench.profile().ifPresent(p -> ProfileReport.print(err, r, p.entries()));
                switch (output) {
                    case "md" -> {
                        // After the first test, so that a model the backend cannot run prints only the error.
                        if (results.size() == 1) {
                            report.printTableHeader(out);
                        }
                        report.printTableRow(out, r);
                    }
                    case "jsonl" -> out.println(report.toJson(r));
                    default -> { }
                }
                out.flush();
            }
            switch (output) {
                case "md" -> report.printTableFooter(out);
                case "json" -> out.println(report.toJson(results));
                default -> { }
            }
        }
        out.flush();
        return 0;
    }

    private BenchRunner.Settings settings() {
        GgmlType kv = ModelOptions.kvCacheType(cacheType)
                .orElseThrow(() -> usage("-ctk must be f16, f32 or q8_0, not '" + cacheType + "'"));
        if (repetitions < 1) {
            throw usage("-r must be >= 1, got " + repetitions);
        }
        if (batchSize < 1) {
            throw usage("-b must be >= 1, got " + batchSize);
        }
        if (contextSize < 0) {
            throw usage("--ctx-size must be >= 0, got " + contextSize);
        }
        return new BenchRunner.Settings(batchSize, contextSize, kv, repetitions, !noWarmup, TOKEN_SEED);
    }

    /** llama-bench's order: for each depth, the pp tests, then the tg tests; zero lengths are skipped. */
    private List<BenchTest> tests() {
        List<Integer> p = lengths("-p", prompts);
        List<Integer> n = lengths("-n", gens);
        List<BenchTest> tests = new ArrayList<>();
        for (int d : lengths("-d", depths)) {
            p.stream().filter(v -> v > 0).forEach(v -> tests.add(BenchTest.pp(v, d)));
            n.stream().filter(v -> v > 0).forEach(v -> tests.add(BenchTest.tg(v, d)));
        }
        if (tests.isEmpty()) {
            throw usage("no test to run: every -p and -n length is 0");
        }
        for (BenchTest t : tests) {
            if (contextSize > 0 && t.positions() > contextSize) {
                throw usage("test " + t.name() + " needs " + t.positions() + " KV cache positions (depth "
                        + t.nDepth() + " + prompt " + t.nPrompt() + " + generated " + t.nGen()
                        + ") but --ctx-size is " + contextSize);
            }
        }
        return tests;
    }

    private List<Integer> lengths(String flag, List<String> items) {
        try {
            return LengthList.parse(flag, items);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
