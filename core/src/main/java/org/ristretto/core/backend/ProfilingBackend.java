package org.ristretto.core.backend;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ristretto.core.quant.GgmlType;

/**
 * A backend that times every operation of the backend it wraps ({@code ristretto bench --profile}): per kind of
 * operation, and per weight type and shape for products, the calls, the time and the weight bytes they read.
 *
 * <p>Each timed operation is followed by {@link Backend#synchronize}, so on a device that queues work the times are
 * those of the operations one by one, without the overlap a normal run has. Tensors and caches are the wrapped
 * backend's own: this one only passes them through. Not thread-safe, like the backends it wraps; closing it closes
 * nothing (close the wrapped backend).
 */
public final class ProfilingBackend implements Backend {
    private final Backend inner;
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
        this.inner = inner;
    }

    /** The backend whose operations are timed. */
    public Backend inner() {
        return inner;
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

    private void record(String operation, long startNanos, long weightBytes) {
        inner.synchronize();
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
    public String name() {
        return inner.name();
    }

    @Override
    public DeviceInfo device() {
        return inner.device();
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return inner.supports(op, type);
    }

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        return inner.weight(name, type, columns, rows, data);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        return inner.allocate(name, columns, rows);
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        return inner.view(tensor, firstRow, rowCount);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        return inner.allocateKvCache(spec);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        long t0 = System.nanoTime();
        inner.write(dst, src, srcOffset);
        record("write", t0, 0);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        long t0 = System.nanoTime();
        inner.read(src, dst, dstOffset);
        record("read", t0, 0);
    }

    @Override
    public void free(Tensor tensor) {
        inner.free(tensor);
    }

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        long t0 = System.nanoTime();
        inner.getRows(table, ids, out);
        record("getRows " + table.type().ggmlName(), t0, 0);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        long t0 = System.nanoTime();
        inner.rmsNorm(x, weight, eps, out);
        record("rmsNorm", t0, 0);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        long t0 = System.nanoTime();
        inner.matmul(w, x, out);
        record("matmul " + shape(w), t0, bytes(w));
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        long t0 = System.nanoTime();
        inner.matmulSwiGlu(gate, up, x, out);
        record("matmulSwiGlu 2 × " + shape(gate), t0, bytes(gate) + bytes(up));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        long t0 = System.nanoTime();
        inner.add(a, b, out);
        record("add", t0, 0);
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        long t0 = System.nanoTime();
        inner.rope(x, headDim, startPos, spec);
        record("rope", t0, 0);
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        long t0 = System.nanoTime();
        inner.storeKv(cache, layer, startPos, k, v);
        record("storeKv", t0, 0);
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        long t0 = System.nanoTime();
        inner.attention(q, cache, layer, startPos, heads, scale, out);
        record("attention", t0, 0);
    }

    @Override
    public int[] argmax(Tensor x) {
        long t0 = System.nanoTime();
        int[] result = inner.argmax(x);
        record("argmax", t0, 0);
        return result;
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    /** Does nothing: the wrapped backend belongs to whoever opened it. */
    @Override
    public void close() {
    }
}
