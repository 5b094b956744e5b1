package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.BackendException;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.cpu.kernel.MatMul;
import org.ristretto.cpu.parallel.WorkerPool;

/**
 * The CPU backend: weights are read in place from the model file's mapping, activations are heap float arrays, and
 * every operation runs to completion on a persistent {@link WorkerPool} before it returns (so {@link #synchronize} has
 * nothing to wait for).
 */
public final class CpuBackend implements Backend {
    private final DeviceInfo device;
    private final WorkerPool pool;
    private final WeightProducts products;
    private final RowOps rows;
    private final RopeKernel rope;
    private final FlashAttention attention;
    private final List<CpuKvCache> caches = new ArrayList<>();
    private final CpuKvCache.StoreScratch[] storeScratch;
    /** matmulMany's resolved weights and outputs, kept from call to call so that a forward pass allocates nothing. */
    private CpuWeight[] manyWeights = new CpuWeight[0];
    private CpuActivation[] manyOutputs = new CpuActivation[0];
    private final KvStore kvStore = new KvStore();

    /** A backend for {@code device} with {@code threads} worker threads (the caller included), packing weights. */
    public CpuBackend(DeviceInfo device, int threads) {
        this(device, threads, WeightPacking.PACKED_ON_HUGE_PAGES);
    }

    /**
     * A backend for {@code device} with {@code threads} worker threads (the caller included); unless
     * {@code packing} is {@link WeightPacking#NONE}, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, IQ4_XS and Q2_K to Q6_K
     * matrices get a packed copy ({@link MatMul#pack}; at their first product of up to
     * {@link MatMul#packedMaxTokens} tokens, Q8_0 and Q4_0 at their second one-token product, see
     * {@link MatMul#promptsReadTheFile}) for such products, while the copies fit in
     * {@link PackBudget#fromAvailableMemory()}.
     */
    public CpuBackend(DeviceInfo device, int threads, WeightPacking packing) {
        this(device, threads, packing, null);
    }

    /**
     * As {@link #CpuBackend(DeviceInfo, int, WeightPacking)}, keeping the packed copies in {@code packCache}'s folder
     * between runs (null: in memory only), where a later run maps them instead of packing again.
     */
    public CpuBackend(DeviceInfo device, int threads, WeightPacking packing, PackedCopyCache packCache) {
        this(device, threads, packing, packing.packs() ? PackBudget.fromAvailableMemory() : 0, packCache);
    }

    /**
     * As {@link #CpuBackend(DeviceInfo, int, WeightPacking)}, making packed copies of at most {@code packBudget} bytes
     * in all: a matrix whose copy would pass it is multiplied from the file's layout instead (correct, slower).
     */
    CpuBackend(DeviceInfo device, int threads, WeightPacking packing, long packBudget) {
        this(device, threads, packing, packBudget, null);
    }

    private CpuBackend(DeviceInfo device, int threads, WeightPacking packing, long packBudget,
            PackedCopyCache packCache) {
        this.device = device;
        this.pool = new WorkerPool(threads);
        this.products = new WeightProducts(new MatMul(pool), packing, packBudget, packCache);
        this.rows = new RowOps(pool);
        this.rope = new RopeKernel(pool);
        this.attention = new FlashAttention(pool);
        this.storeScratch = new CpuKvCache.StoreScratch[threads];
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    /** The number of threads that share each operation. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return switch (op) {
            case MATMUL, MATMUL_SWIGLU -> products.supports(type);
            case GET_ROWS -> hasFormat(type);
            case STORE_KV, ATTENTION -> type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.Q8_0;
            default -> type == GgmlType.F32;
        };
    }

    private static boolean hasFormat(GgmlType type) {
        if (!type.isSupported()) {
            return false;
        }
        try {
            QuantFormats.of(type);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    // ---- memory -----------------------------------------------------------------------------------------------

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        if (columns < 1 || rows < 1) {
            throw new IllegalArgumentException("weight " + name + " has a non-positive shape " + rows + "x" + columns);
        }
        long needed = Math.multiplyExact(type.byteSize(columns), (long) rows);
        if (data.byteSize() < needed) {
            throw new IllegalArgumentException("weight " + name + ": " + rows + "x" + columns + " " + type.ggmlName()
                    + " needs " + needed + " bytes, but the data has " + data.byteSize());
        }
        if (!data.isNative()) {
            throw new IllegalArgumentException("weight " + name + ": the CPU backend reads weights from native memory "
                    + "(a file mapping or an arena's memory), not from a heap segment");
        }
        // The same bytes, scope and read-only flag as a plain native segment, the class of the packed copies too, so
        // that the kernels see one segment class. This alone did not stop C2 from compiling a kernel's loads as
        // virtual calls now and then (3 slow cold runs of 8); the kernels' cast to that class did (NativeSegments).
        MemorySegment weights = data.reinterpret(data.byteSize());
        products.willMultiply(type, weights, rows, columns);
        return new CpuWeight(name, type, columns, rows, weights, this);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        long n = (long) columns * rows;
        if (columns < 1 || rows < 1 || n > Integer.MAX_VALUE - 16) {
            throw new BackendException("activation " + name + " of " + rows + "x" + columns
                    + " floats does not fit in one Java array (at most " + (Integer.MAX_VALUE - 16) + ")");
        }
        try {
            return new CpuActivation(name, columns, rows, new float[(int) n], 0, this);
        } catch (OutOfMemoryError e) {
            throw new BackendException("activation " + name + " needs " + 4 * n + " bytes of heap; free heap is "
                    + Runtime.getRuntime().freeMemory(), e);
        }
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > tensor.rows()) {
            throw new IllegalArgumentException("view of rows [" + firstRow + ", " + (firstRow + rowCount) + ") is "
                    + "outside " + tensor);
        }
        return switch (own(tensor)) {
            case CpuActivation a -> new CpuActivation(a.name() + "[" + firstRow + "+" + rowCount + "]", a.columns(),
                    rowCount, a.data(), a.rowOffset(firstRow), this);
            case CpuWeight w -> new CpuWeight(w.name() + "[" + firstRow + "+" + rowCount + "]", w.type(), w.columns(),
                    rowCount, w.data().asSlice(firstRow * w.rowBytes(), rowCount * w.rowBytes()), this);
        };
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        CpuKvCache cache = new CpuKvCache(spec);
        caches.add(cache);
        return cache;
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        CpuActivation a = activation(dst, "write destination");
        System.arraycopy(src, srcOffset, a.data(), a.offset(), a.rows() * a.columns());
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        CpuActivation a = activation(src, "read source");
        System.arraycopy(a.data(), a.offset(), dst, dstOffset, a.rows() * a.columns());
    }

    @Override
    public void free(Tensor tensor) {
        own(tensor); // heap arrays and file mappings are released by their owners
    }

    // ---- operations -------------------------------------------------------------------------------------------

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        CpuWeight t = weightOf(table, "getRows table");
        CpuActivation o = activation(out, "getRows output");
        if (o.columns() != t.columns() || o.rows() != ids.length) {
            throw shape("getRows", table, out, ids.length + " rows of " + t.columns());
        }
        for (int id : ids) {
            if (id < 0 || id >= t.rows()) {
                throw new IllegalArgumentException("getRows: id " + id + " is outside the " + t.rows() + " rows of "
                        + t.name());
            }
        }
        rows.getRows(t, ids, o);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        CpuActivation a = activation(x, "rmsNorm input");
        CpuActivation o = activation(out, "rmsNorm output");
        float[] w = vector(weight, "rmsNorm weight");
        if (a.columns() % w.length != 0 || o.columns() != a.columns() || o.rows() != a.rows()) {
            throw shape("rmsNorm", x, out, "rows of groups of " + w.length);
        }
        rows.rmsNorm(a, w, eps, o);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        CpuWeight m = weightOf(w, "matmul weight");
        CpuActivation in = activation(x, "matmul input");
        CpuActivation o = activation(out, "matmul output");
        checkProduct("matmul", m, in, o);
        products.multiply(m, in, o);
    }

    @Override
    public void matmulMany(Tensor[] weights, Tensor x, Tensor[] outs) {
        Backend.checkMatmulMany(weights, outs);
        CpuActivation in = activation(x, "matmulMany input");
        if (manyWeights.length != weights.length) {
            manyWeights = new CpuWeight[weights.length];
            manyOutputs = new CpuActivation[weights.length];
        }
        CpuWeight[] ws = manyWeights;
        CpuActivation[] os = manyOutputs;
        for (int i = 0; i < weights.length; i++) {
            ws[i] = weightOf(weights[i], "matmulMany weight");
            os[i] = activation(outs[i], "matmulMany output");
            checkProduct("matmulMany", ws[i], in, os[i]);
        }
        products.multiplyMany(ws, in, os);
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        CpuWeight g = weightOf(gate, "matmulSwiGlu gate");
        CpuWeight u = weightOf(up, "matmulSwiGlu up");
        CpuActivation in = activation(x, "matmulSwiGlu input");
        CpuActivation o = activation(out, "matmulSwiGlu output");
        if (g.rows() != u.rows() || g.columns() != u.columns()) {
            throw shape("matmulSwiGlu", gate, up, "gate and up of the same shape");
        }
        checkProduct("matmulSwiGlu", g, in, o);
        products.multiplySwiGlu(g, u, in, o);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        CpuActivation x = activation(a, "add input");
        CpuActivation o = activation(out, "add output");
        if (o.columns() != x.columns() || o.rows() != x.rows() || b.columns() != x.columns()
                || (b.rows() != 1 && b.rows() != x.rows())) {
            throw shape("add", a, b, "b with a's columns and 1 or a's rows");
        }
        boolean broadcast = b.rows() == 1 && x.rows() != 1;
        switch (own(b)) {
            case CpuActivation v -> rows.add(x, v.data(), v.offset(), broadcast, o);
            case CpuWeight w -> {
                if (w.values() == null) {
                    throw new IllegalArgumentException("add: weight " + w + " must be a single row");
                }
                rows.add(x, w.values(), 0, true, o);
            }
        }
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        CpuActivation a = activation(x, "rope input");
        if (headDim < 1 || a.columns() % headDim != 0 || spec.dims() > headDim) {
            throw new IllegalArgumentException("rope: " + x + " is not a whole number of heads of " + headDim
                    + " with " + spec.dims() + " rotated dimensions");
        }
        if (startPos < 0) {
            throw new IllegalArgumentException("rope: start position " + startPos + " is negative");
        }
        float[] factors = null;
        if (spec.freqFactors() != null) {
            factors = vector(spec.freqFactors(), "rope frequency factors");
            if (factors.length < spec.dims() / 2) {
                throw new IllegalArgumentException("rope: " + spec.freqFactors() + " has " + factors.length
                        + " factors, " + spec.dims() / 2 + " needed");
            }
        }
        rope.apply(a, headDim, startPos, spec, factors);
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        CpuKvCache c = cacheOf(cache);
        CpuActivation ka = activation(k, "storeKv keys");
        CpuActivation va = activation(v, "storeKv values");
        KvCacheSpec s = c.spec();
        int width = s.kvHeads() * s.headDim();
        if (ka.columns() != width || va.columns() != width || ka.rows() != va.rows()) {
            throw shape("storeKv", k, v, ka.rows() + " rows of " + width + " (kvHeads x headDim)");
        }
        checkLayer(s, layer);
        if (startPos < 0 || startPos + ka.rows() > s.contextLength()) {
            throw new IllegalArgumentException("storeKv: positions [" + startPos + ", " + (startPos + ka.rows())
                    + ") are outside the cache's context of " + s.contextLength());
        }
        for (int w = 0; w < storeScratch.length; w++) {
            if (storeScratch[w] == null || !storeScratch[w].fits(s.headDim())) {
                storeScratch[w] = new CpuKvCache.StoreScratch(s.headDim());
            }
        }
        kvStore.cache = c;
        kvStore.layer = layer;
        kvStore.startPos = startPos;
        kvStore.k = ka;
        kvStore.v = va;
        pool.forRange(ka.rows() * s.kvHeads(), 8, kvStore);
    }

    /**
     * {@link #storeKv}'s (token, head) pairs: one range task kept from call to call, the call's arguments in its
     * fields, so that a call allocates nothing.
     */
    private final class KvStore implements WorkerPool.RangeTask {
        CpuKvCache cache;
        int layer;
        int startPos;
        CpuActivation k;
        CpuActivation v;

        @Override
        public void run(int from, int to, int worker) {
            int heads = cache.spec().kvHeads();
            int headDim = cache.spec().headDim();
            for (int i = from; i < to; i++) {
                int t = i / heads;
                int h = i % heads;
                cache.storeKey(layer, h, startPos + t, k.data(), k.rowOffset(t) + h * headDim, storeScratch[worker]);
                cache.storeValue(layer, h, startPos + t, v.data(), v.rowOffset(t) + h * headDim,
                        storeScratch[worker]);
            }
        }
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        CpuKvCache c = cacheOf(cache);
        CpuActivation qa = activation(q, "attention queries");
        CpuActivation o = activation(out, "attention output");
        KvCacheSpec s = c.spec();
        checkLayer(s, layer);
        if (heads < 1 || heads % s.kvHeads() != 0 || qa.columns() != heads * s.headDim()
                || o.columns() != qa.columns() || o.rows() != qa.rows()) {
            throw shape("attention", q, out, heads + " heads of " + s.headDim() + " (a multiple of "
                    + s.kvHeads() + " KV heads) in q and out alike");
        }
        if (startPos < 0 || startPos + qa.rows() > s.contextLength()) {
            throw new IllegalArgumentException("attention: positions [" + startPos + ", " + (startPos + qa.rows())
                    + ") are outside the cache's context of " + s.contextLength());
        }
        attention.run(qa, c, layer, startPos, heads, scale, o);
    }

    @Override
    public int[] argmax(Tensor x) {
        return rows.argmax(activation(x, "argmax input"));
    }

    @Override
    public void synchronize() {
        // every operation has finished when it returns
    }

    @Override
    public void close() {
        caches.forEach(CpuKvCache::close);
        caches.clear();
        pool.close();
        products.close();
    }

    // ---- checks -----------------------------------------------------------------------------------------------

    private CpuTensor own(Tensor t) {
        if (t instanceof CpuTensor c && t.backend() == this) {
            return c;
        }
        throw new IllegalArgumentException("tensor " + t.name() + " does not belong to this cpu backend");
    }

    private CpuActivation activation(Tensor t, String role) {
        if (own(t) instanceof CpuActivation a) {
            return a;
        }
        throw new IllegalArgumentException(role + " " + t + " must be an F32 activation, not a weight");
    }

    private CpuWeight weightOf(Tensor t, String role) {
        if (own(t) instanceof CpuWeight w) {
            return w;
        }
        throw new IllegalArgumentException(role + " " + t + " must be a weight tensor");
    }

    /** A one-row tensor's values as floats. */
    private float[] vector(Tensor t, String role) {
        return switch (own(t)) {
            case CpuWeight w when w.values() != null -> w.values();
            case CpuActivation a when a.rows() == 1 -> {
                float[] copy = new float[a.columns()];
                System.arraycopy(a.data(), a.offset(), copy, 0, copy.length);
                yield copy;
            }
            default -> throw new IllegalArgumentException(role + " " + t + " must be a single row");
        };
    }

    private CpuKvCache cacheOf(KvCache cache) {
        if (cache instanceof CpuKvCache c && caches.contains(c)) {
            return c;
        }
        throw new IllegalArgumentException("KV cache " + cache + " does not belong to this cpu backend");
    }

    private static void checkLayer(KvCacheSpec s, int layer) {
        if (layer < 0 || layer >= s.layers()) {
            throw new IllegalArgumentException("layer " + layer + " is outside the cache's " + s.layers() + " layers");
        }
    }

    private static void checkProduct(String op, CpuWeight w, CpuActivation x, CpuActivation out) {
        if (x.columns() != w.columns() || out.columns() != w.rows() || out.rows() != x.rows()) {
            throw new IllegalArgumentException(op + ": " + w + " times " + x + " into " + out
                    + " needs x with " + w.columns() + " columns and out of " + x.rows() + "x" + w.rows());
        }
    }

    private static IllegalArgumentException shape(String op, Tensor a, Tensor b, String expected) {
        return new IllegalArgumentException(op + ": shapes of " + a + " and " + b + " do not fit; expected "
                + expected);
    }
}
