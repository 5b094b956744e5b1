package org.ristretto.cli.bench;

import java.util.List;

/**
 * The samples of one test with llama-bench's statistics: tokens per second of each repetition, their mean and their
 * sample standard deviation.
 *
 * @param samplesNs wall-clock nanoseconds of each timed repetition
 * @param testTime  when the test started, RFC 3339 in UTC (llama-bench's {@code test_time})
 */
public record BenchResult(BenchTest test, List<Long> samplesNs, String testTime) {

    public BenchResult {
        samplesNs = List.copyOf(samplesNs);
        if (samplesNs.isEmpty()) {
            throw new IllegalArgumentException("a result needs at least one sample");
        }
    }

    /** Tokens per second of each sample. */
    public List<Double> samplesTs() {
        return samplesNs.stream().map(ns -> 1e9 * test.tokens() / ns).toList();
    }

    /** Mean tokens per second. */
    public double avgTs() {
        return mean(samplesTs());
    }

    /** Sample standard deviation of tokens per second. */
    public double stddevTs() {
        return stddev(samplesTs());
    }

    /** Mean nanoseconds per sample, rounded. */
    public long avgNs() {
        return Math.round(mean(samplesNs.stream().map(Long::doubleValue).toList()));
    }

    /** Sample standard deviation of the nanoseconds, rounded. */
    public long stddevNs() {
        return Math.round(stddev(samplesNs.stream().map(Long::doubleValue).toList()));
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (divides by n - 1), 0 for one sample, as llama-bench computes it. */
    static double stddev(List<Double> v) {
        if (v.size() < 2) {
            return 0;
        }
        double m = mean(v);
        double squares = v.stream().mapToDouble(x -> (x - m) * (x - m)).sum();
        return Math.sqrt(squares / (v.size() - 1));
    }
}
