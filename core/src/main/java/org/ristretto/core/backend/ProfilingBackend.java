package org.ristretto.core.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that times every operation of the backend it wraps ({@code ristretto bench --profile}): per kind of
 * operation, and per weight type and shape for products, the calls, the time and the weight bytes they read.
 *
 * <p>Each timed operation is followed by {@link Backend#synchronize}, so on a device that queues work the times are
 * those of the operations one by one, without the overlap a normal run has. Tensors and caches are the wrapped
 * backend's own: this one only passes them through. Not thread-safe, like the backends it wraps; closing it closes
 * nothing (close the wrapped backend).
 */
public final class ProfilingBackend extends ForwardingBackend {
    private final Map<String, long[]> totals = new HashMap<>();

    /** One kind of operation's totals since the last {@link #reset}. */
    public record Entry(String operation, long calls, long nanos, long weightBytes) {
        /** Mean time of one call, in microseconds. */
        public double microsPerCall() {
            return nanos / 1e3 / calls;
        }

        /** Weight bytes read per second of this operation's time, in GB/s; 0 for operations without weights. */
        public double weightGigabytesPerSecond() {
            return nanos == 0 ? 0 : (double) weightBytes / nanos;
        }
    }

    public ProfilingBackend(Backend inner) {
        super(inner);
    }

    /** Forgets everything timed so far. */
    public void reset() {
        totals.clear();
    }

    /** The totals since the last {@link #reset}, the most time first. */
    public List<Entry> entries() {
        List<Entry> entries = new ArrayList<>(totals.size());
        totals.forEach((op, t) -> entries.add(new Entry(op, t[0], t[1], t[2])));
        entries.sort(Comparator.comparingLong(Entry::nanos).reversed().thenComparing(Entry::operation));
        return entries;
    }

    /** Runs {@code operation} and a synchronize, and adds its time to {@code name}'s totals. */
    private void timed(String name, long weightBytes, Runnable operation) {
        long t0 = System.nanoTime();
        operation.run();
        record(name, t0, weightBytes);
    }

    private void record(String operation, long startNanos, long weightBytes) {
        delegate().synchronize();
        long[] t = totals.computeIfAbsent(operation, k -> new long[3]);
        t[0]++;
        t[1] += System.nanoTime() - startNanos;
        t[2] += weightBytes;
    }

    private static String shape(Tensor w) {
        return w.type().ggmlName() + " " + w.rows() + "x" + w.columns();
    }

    private static long bytes(Tensor w) {
        return w.type().byteSize(w.columns()) * w.rows();
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        timed("write", 0, () -> delegate().write(dst, src, srcOffset));
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        timed("read", 0, () -> delegate().read(src, dst, dstOffset));
    }

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        timed("getRows " + table.type().ggmlName(), 0, () -> delegate().getRows(table, ids, out));
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        timed("rmsNorm", 0, () -> delegate().rmsNorm(x, weight, eps, out));
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        timed("matmul " + shape(w), bytes(w), () -> delegate().matmul(w, x, out));
    }

    @Override
    public void matmulMany(Tensor[] weights, Tensor x, Tensor[] outs) {
        StringBuilder label = new StringBuilder("matmulMany");
        long bytes = 0;
        for (int i = 0; i < weights.length; i++) {
            label.append(i == 0 ? " " : " + ").append(shape(weights[i]));
            bytes += bytes(weights[i]);
        }
        timed(label.toString(), bytes, () -> delegate().matmulMany(weights, x, outs));
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        timed("matmulSwiGlu 2 × " + shape(gate), bytes(gate) + bytes(up),
                () -> delegate().matmulSwiGlu(gate, up, x, out));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        timed("add", 0, () -> delegate().add(a, b, out));
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        timed("rope", 0, () -> delegate().rope(x, headDim, startPos, spec));
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        timed("storeKv", 0, () -> delegate().storeKv(cache, layer, startPos, k, v));
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        timed("attention", 0, () -> delegate().attention(q, cache, layer, startPos, heads, scale, out));
    }

    @Override
    public int[] argmax(Tensor x) {
        long t0 = System.nanoTime();
        int[] result = delegate().argmax(x);
        record("argmax", t0, 0);
        return result;
    }

    /** Does nothing: the wrapped backend belongs to whoever opened it. */
    @Override
    public void close() {
    }
}
