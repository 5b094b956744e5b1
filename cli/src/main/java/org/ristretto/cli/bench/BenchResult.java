package org.ristretto.cli.bench;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The samples of one test with llama-bench's statistics: tokens per second of each repetition, their mean and their
 * sample standard deviation.
 *
 * @param samplesNs wall-clock nanoseconds of each timed repetition
 * @param testTime  when the test started, RFC 3339 in UTC (llama-bench's {@code test_time})
 * @param heapBytes heap bytes the JVM's threads allocated during the timed repetitions, or -1 when unknown
 */
public record BenchResult(BenchTest test, List<Long> samplesNs, String testTime, long heapBytes) {

    /**
     * Heap bytes per token above which a test's kernels ran as boxed vectors in earnest. A warm decoding step
     * allocates nothing and a prompt token about a kilobyte (its share of the logits a forward call returns). Kernels
     * the JIT compiled without some of their vector intrinsics box now and then: up to about 2 MB per token was seen
     * in most runs (attention, the tiled prefill) at no visible cost, 80 MB per token in about one run in five, with
     * a 1B Q4_0 model then decoding at 27-30 instead of 40-48 tokens/s.
     */
    static final long BOXED_BYTES_PER_TOKEN = 8L << 20;

    public BenchResult {
        samplesNs = List.copyOf(samplesNs);
        if (samplesNs.isEmpty()) {
            throw new IllegalArgumentException("a result needs at least one sample");
        }
    }

    /** A result whose heap allocation was not measured. */
    public BenchResult(BenchTest test, List<Long> samplesNs, String testTime) {
        this(test, samplesNs, testTime, -1);
    }

    /** Heap bytes allocated per token of the timed repetitions, or -1 when unknown. */
    public long heapBytesPerToken() {
        return heapBytes < 0 ? -1 : heapBytes / ((long) test.tokens() * samplesNs.size());
    }

    /**
     * A note for the reader when the timed repetitions allocated like a kernel running as boxed vectors (HotSpot now
     * and then compiles a Vector API kernel so): that run's speed may say little about the code. A 1B Q8_0 decoded at
     * its usual speed with 99 MB per token (a box per accumulator update, cheap to allocate), a Q4_0 a third slower
     * with 80 MB.
     */
    public Optional<String> boxedKernelNote() {
        long perToken = heapBytesPerToken();
        if (perToken < BOXED_BYTES_PER_TOKEN) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "note: %s allocated %.1f MB of heap per token, where a warm "
                + "forward pass allocates next to nothing: the JIT compiled a kernel that boxes vectors (HotSpot does "
                + "now and then); such runs have measured from no slower to a third slower, so compare with another "
                + "run", test.name(), perToken / 1e6));
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
