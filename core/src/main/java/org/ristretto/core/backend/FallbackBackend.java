package org.ristretto.core.backend;

import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ristretto.core.quant.GgmlType;

/**
 * A device backend with the CPU backend behind it for the weight types and operations the device lacks, as the
 * {@link Backend} contract asks of callers.
 *
 * <p>Placement: a weight whose type the primary cannot use for any of {@link Op#MATMUL}, {@link Op#MATMUL_SWIGLU} and
 * {@link Op#GET_ROWS} (and, for a one-row F32 weight, {@link Op#RMS_NORM}) stays on the host as a CPU tensor over the
 * model file's mapping; a KV cache whose type the primary cannot store or attend over lives on the CPU; activations
 * live on the primary. An operation runs on the primary when it holds every tensor involved and supports the
 * operation for the type; otherwise it runs on the CPU, with the primary's inputs read into host scratch tensors
 * (allocated once, see {@link HostScratch}) and its outputs written back. Weights the primary holds are not read back:
 * the CPU wraps their host bytes.
 *
 * <p>Every distinct (operation, type) that ran or will run on the CPU is recorded with an example tensor name
 * ({@link #fallbacks()}). Not thread-safe, like every backend.
 */
public final class FallbackBackend implements Backend {
    private static final List<Op> WEIGHT_OPS = List.of(Op.MATMUL, Op.MATMUL_SWIGLU, Op.GET_ROWS);

    private final Backend primary;
    private final Backend cpu;
    private final HostScratch scratch;
    private final Map<String, String> fallbacks = new LinkedHashMap<>();
    private final Map<RopeSpec, RopeSpec> primaryRope = new IdentityHashMap<>();
    private final Map<RopeSpec, RopeSpec> hostRope = new IdentityHashMap<>();

    /**
     * @param primary the device backend that runs whatever it can
     * @param cpu     a CPU backend ({@code name()} "cpu") for the rest; closed with this backend
     */
    public FallbackBackend(Backend primary, Backend cpu) {
        if (!"cpu".equals(cpu.name())) {
            throw new IllegalArgumentException("the fallback backend must be the cpu backend, not " + cpu.name());
        }
        this.primary = primary;
        this.cpu = cpu;
        this.scratch = new HostScratch(primary, cpu);
    }

    /** The device backend. */
    public Backend primary() {
        return primary;
    }

    /** The CPU backend that runs what the primary cannot. */
    public Backend cpu() {
        return cpu;
    }

    /**
     * Each distinct operation and type that runs on the CPU, with the first tensor it happened for, in the order
     * they appeared, e.g. {@code "matmul q5_k (blk.0.ffn_down.weight)"}.
     */
    public List<String> fallbacks() {
        return List.copyOf(fallbacks.values());
    }

    /** How many host scratch buffers were allocated so far (constant while decoding token after token). */
    public int scratchAllocations() {
        return scratch.allocations();
    }

    @Override
    public String name() {
        return primary.name();
    }

    @Override
    public DeviceInfo device() {
        return primary.device();
    }

    /** True where the primary or the CPU runs {@code op} with {@code type}. */
    @Override
    public boolean supports(Op op, GgmlType type) {
        return primary.supports(op, type) || cpu.supports(op, type);
    }

    // ---- memory -----------------------------------------------------------------------------------------------

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        boolean onPrimary = WEIGHT_OPS.stream().anyMatch(op -> primary.supports(op, type))
                || (rows == 1 && primary.supports(Op.RMS_NORM, type));
        if (onPrimary) {
            return new FallbackTensor(this, primary.weight(name, type, columns, rows, data), true, data);
        }
        record(Op.MATMUL, type, name);
        return new FallbackTensor(this, cpu.weight(name, type, columns, rows, data), false, data);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        return new FallbackTensor(this, primary.allocate(name, columns, rows), true, null);
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        FallbackTensor t = own(tensor);
        Tensor inner = (t.onPrimary() ? primary : cpu).view(t.inner(), firstRow, rowCount);
        MemorySegment data = null;
        if (t.isWeight()) {
            long rowBytes = t.type().byteSize(t.columns());
            data = t.hostData().asSlice(firstRow * rowBytes, rowCount * rowBytes);
        }
        return new FallbackTensor(this, inner, t.onPrimary(), data);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        GgmlType type = spec.type();
        if (primary.supports(Op.STORE_KV, type) && primary.supports(Op.ATTENTION, type)) {
            return new FallbackKvCache(primary.allocateKvCache(spec), true);
        }
        record(Op.STORE_KV, type, "kv cache");
        record(Op.ATTENTION, type, "kv cache");
        return new FallbackKvCache(cpu.allocateKvCache(spec), false);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        FallbackTensor t = own(dst);
        owner(t).write(t.inner(), src, srcOffset);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        FallbackTensor t = own(src);
        owner(t).read(t.inner(), dst, dstOffset);
    }

    @Override
    public void free(Tensor tensor) {
        FallbackTensor t = own(tensor);
        owner(t).free(t.inner());
        if (t.hostWeightIfMade() != null) {
            cpu.free(t.hostWeightIfMade());
        }
    }

    // ---- operations -------------------------------------------------------------------------------------------

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        FallbackTensor t = own(table);
        FallbackTensor o = own(out);
        if (onPrimary(Op.GET_ROWS, t.type(), t, o)) {
            primary.getRows(t.inner(), ids, o.inner());
            return;
        }
        record(Op.GET_ROWS, t.type(), t.name());
        scratch.begin();
        cpu.getRows(scratch.input(t), ids, scratch.output(o));
        scratch.finish();
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        FallbackTensor a = own(x);
        FallbackTensor w = own(weight);
        FallbackTensor o = own(out);
        if (onPrimary(Op.RMS_NORM, GgmlType.F32, a, w, o)) {
            primary.rmsNorm(a.inner(), w.inner(), eps, o.inner());
            return;
        }
        record(Op.RMS_NORM, GgmlType.F32, w.name());
        scratch.begin();
        cpu.rmsNorm(scratch.input(a), scratch.input(w), eps, scratch.output(o));
        scratch.finish();
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        FallbackTensor m = own(w);
        FallbackTensor in = own(x);
        FallbackTensor o = own(out);
        if (onPrimary(Op.MATMUL, m.type(), m, in, o)) {
            primary.matmul(m.inner(), in.inner(), o.inner());
            return;
        }
        record(Op.MATMUL, m.type(), m.name());
        scratch.begin();
        cpu.matmul(scratch.input(m), scratch.input(in), scratch.output(o));
        scratch.finish();
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        FallbackTensor g = own(gate);
        FallbackTensor u = own(up);
        FallbackTensor in = own(x);
        FallbackTensor o = own(out);
        if (onPrimary(Op.MATMUL_SWIGLU, g.type(), g, u, in, o) && primary.supports(Op.MATMUL_SWIGLU, u.type())) {
            primary.matmulSwiGlu(g.inner(), u.inner(), in.inner(), o.inner());
            return;
        }
        FallbackTensor unsupported = primary.supports(Op.MATMUL_SWIGLU, g.type()) && g.onPrimary() ? u : g;
        record(Op.MATMUL_SWIGLU, unsupported.type(), unsupported.name());
        scratch.begin();
        cpu.matmulSwiGlu(scratch.input(g), scratch.input(u), scratch.input(in), scratch.output(o));
        scratch.finish();
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        FallbackTensor x = own(a);
        FallbackTensor y = own(b);
        FallbackTensor o = own(out);
        if (onPrimary(Op.ADD, GgmlType.F32, x, y, o)) {
            primary.add(x.inner(), y.inner(), o.inner());
            return;
        }
        record(Op.ADD, GgmlType.F32, y.name());
        scratch.begin();
        cpu.add(scratch.input(x), scratch.input(y), scratch.output(o));
        scratch.finish();
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        FallbackTensor a = own(x);
        FallbackTensor factors = spec.freqFactors() == null ? null : own(spec.freqFactors());
        boolean factorsOnPrimary = factors == null || factors.onPrimary();
        if (factorsOnPrimary && onPrimary(Op.ROPE, GgmlType.F32, a)) {
            RopeSpec s = primaryRope.computeIfAbsent(spec, k -> withFactors(k, factors == null ? null : factors.inner()));
            primary.rope(a.inner(), headDim, startPos, s);
            return;
        }
        record(Op.ROPE, GgmlType.F32, a.name());
        scratch.begin();
        Tensor host = scratch.input(a);
        RopeSpec s = factors != null && !factors.isWeight()
                ? withFactors(spec, scratch.input(factors))
                : hostRope.computeIfAbsent(spec, k -> withFactors(k, factors == null ? null : factors.hostWeight(cpu)));
        cpu.rope(host, headDim, startPos, s);
        scratch.output(a);
        scratch.finish();
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        FallbackKvCache c = own(cache);
        FallbackTensor keys = own(k);
        FallbackTensor values = own(v);
        if (c.onPrimary() && onPrimary(Op.STORE_KV, c.spec().type(), keys, values)) {
            primary.storeKv(c.inner(), layer, startPos, keys.inner(), values.inner());
            return;
        }
        record(Op.STORE_KV, c.spec().type(), "kv cache");
        scratch.begin();
        cpu.storeKv(c.inner(), layer, startPos, scratch.input(keys), scratch.input(values));
        scratch.finish();
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        FallbackKvCache c = own(cache);
        FallbackTensor queries = own(q);
        FallbackTensor o = own(out);
        if (c.onPrimary() && onPrimary(Op.ATTENTION, c.spec().type(), queries, o)) {
            primary.attention(queries.inner(), c.inner(), layer, startPos, heads, scale, o.inner());
            return;
        }
        record(Op.ATTENTION, c.spec().type(), "kv cache");
        scratch.begin();
        cpu.attention(scratch.input(queries), c.inner(), layer, startPos, heads, scale, scratch.output(o));
        scratch.finish();
    }

    @Override
    public int[] argmax(Tensor x) {
        FallbackTensor a = own(x);
        if (onPrimary(Op.ARGMAX, GgmlType.F32, a)) {
            return primary.argmax(a.inner());
        }
        record(Op.ARGMAX, GgmlType.F32, a.name());
        scratch.begin();
        int[] ids = cpu.argmax(scratch.input(a));
        scratch.finish();
        return ids;
    }

    @Override
    public void synchronize() {
        primary.synchronize();
        cpu.synchronize();
    }

    /** Frees the scratch tensors and closes both backends. */
    @Override
    public void close() {
        try {
            scratch.close();
            primary.close();
        } finally {
            cpu.close();
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** Whether the primary holds every tensor and runs {@code op} with {@code type}. */
    private boolean onPrimary(Op op, GgmlType type, FallbackTensor... tensors) {
        for (FallbackTensor t : tensors) {
            if (!t.onPrimary()) {
                return false;
            }
        }
        return primary.supports(op, type);
    }

    /** Notes that {@code op} with {@code type} runs on the CPU; {@code example} loses a view's "[first+count]". */
    private void record(Op op, GgmlType type, String example) {
        String name = op.name().toLowerCase(Locale.ROOT) + " " + type.ggmlName();
        int view = example.indexOf('[');
        fallbacks.putIfAbsent(name, name + " (" + (view > 0 ? example.substring(0, view) : example) + ")");
    }

    private static RopeSpec withFactors(RopeSpec s, Tensor factors) {
        return new RopeSpec(s.layout(), s.dims(), s.freqBase(), s.freqScale(), factors, s.extFactor(),
                s.attnFactor(), s.betaFast(), s.betaSlow(), s.originalContext());
    }

    private Backend owner(FallbackTensor t) {
        return t.onPrimary() ? primary : cpu;
    }

    private FallbackTensor own(Tensor t) {
        if (t instanceof FallbackTensor f && f.backend() == this) {
            return f;
        }
        throw new IllegalArgumentException("tensor " + t.name() + " does not belong to this fallback backend ("
                + primary.name() + " with cpu)");
    }

    private FallbackKvCache own(KvCache cache) {
        if (cache instanceof FallbackKvCache c) {
            return c;
        }
        throw new IllegalArgumentException("KV cache " + cache + " does not belong to this fallback backend");
    }

    /** A KV cache of the primary or of the CPU backend. */
    private record FallbackKvCache(KvCache inner, boolean onPrimary) implements KvCache {
        @Override
        public KvCacheSpec spec() {
            return inner.spec();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
