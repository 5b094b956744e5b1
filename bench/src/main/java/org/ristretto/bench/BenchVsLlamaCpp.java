package org.ristretto.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.ristretto.cli.bench.BenchModel;
import org.ristretto.cli.bench.BenchReport;
import org.ristretto.cli.bench.BenchResult;
import org.ristretto.cli.bench.BenchRunner;
import org.ristretto.cli.bench.BenchTest;
import org.ristretto.cli.bench.LengthList;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Ristretto against llama.cpp on one GGUF file in one run: the same llama-bench tests, the same thread count, batch
 * size, repetitions and F16 KV cache, both models loaded once, the two engines taking turns test by test (which one
 * goes first alternates, so drift in the machine's load or clock affects both alike), and one table of tokens per
 * second with the ratio Ristretto / llama.cpp. llama.cpp runs through {@link LlamaCppPeer} with flash attention on
 * (or, with {@code --llama-bench}, as a llama-bench program of the user's own: {@link LlamaBenchProcess}),
 * Ristretto through the {@code ristretto bench} runner ({@link BenchRunner}); see those for what each times.
 *
 * <p>{@code scripts/bench-vs-llamacpp.sh} builds and runs this; {@code -o json} prints both tools' llama-bench JSON.
 */
@Command(name = "bench-vs-llamacpp", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Ristretto's and llama.cpp's llama-bench tests on one model, taking turns, in one table.")
public final class BenchVsLlamaCpp implements Callable<Integer> {
    private static final long TOKEN_SEED = 1;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "The GGUF model.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "512", paramLabel = "N",
            description = "Prompt lengths of pp tests; 0 for none (default ${DEFAULT-VALUE}).")
    List<String> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "128", paramLabel = "N",
            description = "Generated lengths of tg tests; 0 for none (default ${DEFAULT-VALUE}).")
    List<String> gens;

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0", paramLabel = "D",
            description = "Tokens in the KV cache before each test (default ${DEFAULT-VALUE}).")
    List<String> depths;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", paramLabel = "N",
            description = "Timed repetitions of each test (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Threads for both (default: the processors the JVM sees).")
    Integer threads;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512", paramLabel = "N",
            description = "Prompt tokens per step for both: Ristretto's batch, llama.cpp's n_batch and n_ubatch "
                    + "(default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "NAME",
            description = "Ristretto's backend (default ${DEFAULT-VALUE}; llama.cpp runs on the CPU).")
    String backend;

    @Option(names = {"-o", "--output"}, defaultValue = "md", paramLabel = "md|json",
            description = "The comparison table, or both tools' llama-bench JSON (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--llama-bench", paramLabel = "PROGRAM",
            description = "A llama-bench program to compare against (run once per test, -o json), such as a native "
                    + "build for this machine; default: build 4916 from the de.kherud:llama jar, in this process.")
    Path llamaBench;

    @Option(names = "--no-warmup", description = "Skip the warm-up runs.")
    boolean noWarmup;

    @Spec
    CommandSpec spec;

    /** The command line with one-line errors: exit 2 for bad flags, 1 for failures. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchVsLlamaCpp());
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("bench-vs-llamacpp: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            c.getErr().println("bench-vs-llamacpp: " + (ex instanceof NoSuchFileException
                    ? "no such file: " + msg : msg.replace('\n', ' ')));
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<BenchTest> tests = tests();
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1 || repetitions < 1 || batchSize < 1) {
            throw usage("-t, -r and -b must be >= 1");
        }
        if (!output.equals("md") && !output.equals("json")) {
            throw usage("-o must be md or json, not '" + output + "'");
        }
        if (!Files.isRegularFile(model)) {
            throw new NoSuchFileException(model.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var llamaSettings = new LlamaCppPeer.Settings(t, batchSize, batchSize, true, GgmlType.F16, repetitions,
                !noWarmup, TOKEN_SEED);
        var ristrettoSettings = new BenchRunner.Settings(batchSize, 0, GgmlType.F16, repetitions, !noWarmup,
                TOKEN_SEED);
        List<LlamaCppSide.Measured> llamaResults = new ArrayList<>();
        List<BenchResult> ristrettoResults = new ArrayList<>();
        try (LlamaCppSide llama = openLlamaCpp(llamaSettings);
             BenchModel ristretto = BenchModel.open(model, backend, -1, t, WeightPacking.PACKED_ON_HUGE_PAGES,
                     err::println)) {
            BenchRunner runner = new BenchRunner(ristretto, ristrettoSettings);
            if (output.equals("md")) {
                out.printf("model: %s (Ristretto: %s)%n", model, ristretto.description());
                out.printf("threads %d, batch %d, repetitions %d, KV cache f16, llama.cpp with flash attention on; "
                        + "Ristretto on %s%n%n", t, batchSize, repetitions, ristretto.backendLabel());
                out.printf("| %-15s | %20s | %20s | %7s |%n", "test", "llama.cpp t/s", "Ristretto t/s", "ratio");
                out.printf("| %s: | %s: | %s: | %s: |%n", "-".repeat(14), "-".repeat(19), "-".repeat(19),
                        "-".repeat(6));
                out.flush();
            }
            for (int i = 0; i < tests.size(); i++) {
                BenchTest test = tests.get(i);
                LlamaBenchTest llamaTest = new LlamaBenchTest(test.nPrompt(), test.nGen(), test.nDepth());
                LlamaCppSide.Measured l;
                BenchResult r;
                if (i % 2 == 0) {
                    l = llama.run(llamaTest);
                    r = runner.run(test);
                } else {
                    r = runner.run(test);
                    l = llama.run(llamaTest);
                }
                llamaResults.add(l);
                ristrettoResults.add(r);
                r.boxedKernelNote().ifPresent(err::println);
                if (output.equals("md")) {
                    out.printf(Locale.ROOT, "| %15s | %20s | %20s | %7.2f |%n", test.name(),
                            String.format(Locale.ROOT, "%.2f ± %.2f", l.avgTs(), l.stddevTs()),
                            String.format(Locale.ROOT, "%.2f ± %.2f", r.avgTs(), r.stddevTs()),
                            r.avgTs() / l.avgTs());
                    out.flush();
                }
            }
            if (output.equals("md")) {
                out.printf("%nratio = Ristretto t/s / llama.cpp t/s (above 1: Ristretto is faster)%n");
                out.printf("llama.cpp: %s; model %s%n", llama.buildDescription(), llama.modelDescription());
            } else {
                out.println(json(llamaResults, new BenchReport(ristretto, ristrettoSettings), ristrettoResults));
            }
        }
        if (output.equals("md")) {
            // After both engines are closed, so that no worker thread of either (OpenMP's spin after a parallel
            // region, the pool's) shares the cores with the read.
            printRoofline(out, tests, llamaResults, ristrettoResults, t);
        }
        out.flush();
        return 0;
    }

    /**
     * For the generation tests, the bytes each tool reads per second (the file's size × tokens/s, as the roofline
     * counts them) against the read bandwidth of this file's mapping with the same threads, measured now.
     */
    private void printRoofline(PrintWriter out, List<BenchTest> tests, List<LlamaCppSide.Measured> llamaResults,
                               List<BenchResult> ristrettoResults, int threadCount)
            throws IOException, InterruptedException {
        if (tests.stream().noneMatch(test -> test.nGen() > 0)) {
            return;
        }
        double bytes = Files.size(model);
        if (bytes < ROOFLINE_MIN_BYTES) {
            out.printf(Locale.ROOT, "%nroofline: skipped, the file (%.1f MB) is too small to be read from memory "
                    + "rather than the caches%n", bytes / 1e6);
            return;
        }
        double bandwidth = MappedReadBandwidth.bytesPerSecond(model, threadCount, ROOFLINE_PASSES);
        out.printf(Locale.ROOT, "%nroofline: reading this file's mapping with -t %d runs at %.1f GB/s (best of %d "
                + "passes, after both tools are closed); generation reads %.2f GB per token:%n", threadCount,
                bandwidth / 1e9, ROOFLINE_PASSES, bytes / 1e9);
        for (int i = 0; i < tests.size(); i++) {
            if (tests.get(i).nGen() > 0) {
                out.println(rooflineRow(tests.get(i).name(), bytes, llamaResults.get(i).avgTs(),
                        ristrettoResults.get(i).avgTs(), bandwidth));
            }
        }
    }

    /** One generation test against the roofline: bytes read per second by each tool and their share of it. */
    static String rooflineRow(String test, double fileBytes, double llamaTs, double ristrettoTs, double bandwidth) {
        double llama = fileBytes * llamaTs;
        double ristretto = fileBytes * ristrettoTs;
        return String.format(Locale.ROOT, "  %s: llama.cpp %.1f GB/s (%.0f%%), Ristretto %.1f GB/s (%.0f%%)", test,
                llama / 1e9, 100 * llama / bandwidth, ristretto / 1e9, 100 * ristretto / bandwidth);
    }

    private static final int ROOFLINE_PASSES = 8;
    /** Files below this fit in (or next to) a server's last-level cache, so their "bandwidth" says nothing. */
    private static final long ROOFLINE_MIN_BYTES = 256L << 20;

    private static String json(List<LlamaCppSide.Measured> llamaResults, BenchReport ristrettoReport,
                               List<BenchResult> ristrettoResults) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        ArrayNode l = root.putArray("llama.cpp");
        llamaResults.forEach(r -> l.add(r.json()));
        ArrayNode r = root.putArray("ristretto");
        ristrettoResults.forEach(x -> r.add(ristrettoReport.toJson(x)));
        return m.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    }

    /** The llama-bench program given with {@code --llama-bench}, else the jar's library in this process. */
    private LlamaCppSide openLlamaCpp(LlamaCppPeer.Settings settings) throws NoSuchFileException {
        return llamaBench != null ? new LlamaBenchProcess(llamaBench, model, settings)
                : new LlamaCppSide.InProcess(LlamaCppPeer.open(model, settings));
    }

    /** llama-bench's order: for each depth, the pp tests, then the tg tests; zero lengths are skipped. */
    private List<BenchTest> tests() {
        try {
            List<Integer> p = LengthList.parse("-p", prompts);
            List<Integer> n = LengthList.parse("-n", gens);
            List<BenchTest> tests = new ArrayList<>();
            for (int d : LengthList.parse("-d", depths)) {
                p.stream().filter(v -> v > 0).forEach(v -> tests.add(BenchTest.pp(v, d)));
                n.stream().filter(v -> v > 0).forEach(v -> tests.add(BenchTest.tg(v, d)));
            }
            if (tests.isEmpty()) {
                throw new IllegalArgumentException("no test to run: every -p and -n length is 0");
            }
            return tests;
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
