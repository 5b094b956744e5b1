package org.ristretto.bench;

import java.util.List;

/**
 * The samples of one test, with llama-bench's statistics: tokens per second of each sample, their mean and their
 * sample standard deviation.
 *
 * @param samplesNs         wall-clock nanoseconds of each repetition (the figure llama-bench reports)
 * @param samplesInternalNs the same repetitions by llama.cpp's own timers ({@code llama_perf_context}), which leave
 *                          out the Java side of each call and llama.cpp's own work before its timer starts
 *                          (batch checks, graph building); measured gap: about 16 microseconds per generated token
 */
public record LlamaBenchResult(LlamaBenchTest test, LlamaBenchSetup setup, List<Long> samplesNs,
                               List<Long> samplesInternalNs, String testTime) {
    public LlamaBenchResult {
        samplesNs = List.copyOf(samplesNs);
        samplesInternalNs = List.copyOf(samplesInternalNs);
    }

    /** Tokens per second of each sample. */
    public List<Double> samplesTs() {
        return samplesNs.stream().map(ns -> 1e9 * test.tokens() / ns).toList();
    }

    public double avgTs() {
        return mean(samplesTs());
    }

    public double stddevTs() {
        return stddev(samplesTs());
    }

    public long avgNs() {
        return Math.round(mean(samplesNs.stream().map(Long::doubleValue).toList()));
    }

    public long stddevNs() {
        return Math.round(stddev(samplesNs.stream().map(Long::doubleValue).toList()));
    }

    /** Tokens per second by llama.cpp's own timers. */
    public double avgInternalTs() {
        return mean(samplesInternalNs.stream().map(ns -> 1e9 * test.tokens() / ns).toList());
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n - 1), 0 for fewer than two samples, as llama-bench computes it. */
    static double stddev(List<Double> v) {
        if (v.size() < 2) {
            return 0;
        }
        double m = mean(v);
        double ss = v.stream().mapToDouble(x -> (x - m) * (x - m)).sum();
        return Math.sqrt(ss / (v.size() - 1));
    }
}
