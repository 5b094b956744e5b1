package org.ristretto.opencl;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;

/**
 * The Backend SPI on one OpenCL device. Weights are uploaded once in their GGUF encoding; activations and the KV cache
 * live in device memory; every operation is enqueued on one in-order queue without waiting, so a forward pass crosses
 * to the host only for the token ids going in and the logits (or, for greedy decoding, one int per row) coming out.
 *
 * <p>{@link #supports} answers from the kernels that exist: every weight type except Q8_K, F32/F16/Q8_0 KV caches,
 * F32 for the rest. Per the SPI, callers route anything unsupported through the CPU backend. Not thread-safe.
 */
public final class OpenClBackend implements Backend {
    private final DeviceInfo device;
    private final OpenClRuntime runtime;
    private final OpenClOps ops;
    private final List<OpenClKvCache> caches = new ArrayList<>();
    private final Map<RopeSpec, RopeTable> ropeTables = new HashMap<>();
    private final Scratch ids = new Scratch("token ids");
    private final Scratch argmaxResult = new Scratch("argmax results");
    private final Scratch gateScratch = new Scratch("SwiGLU gate products");
    private final Scratch upScratch = new Scratch("SwiGLU up products");

    /** A rope frequency table on the device and its cosine/sine magnitude. */
    private record RopeTable(DeviceBuffer frequencies, float mscale) {}

    /** Opens {@code device} (as the probe described it) on the OpenCL device {@code openCl}. */
    public OpenClBackend(DeviceInfo device, OpenClDevice openCl) {
        this.device = device;
        this.runtime = OpenClRuntime.open(openCl);
        this.ops = new OpenClOps(runtime);
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    /** The device layer underneath, for benchmarks and diagnostics. */
    public OpenClRuntime runtime() {
        return runtime;
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return switch (op) {
            case MATMUL, MATMUL_SWIGLU, GET_ROWS -> OpenClOps.supportsWeights(type);
            case STORE_KV, ATTENTION -> OpenClOps.supportsKvCache(type);
            default -> type == GgmlType.F32;
        };
    }

    // ---- memory -----------------------------------------------------------------------------------------------

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        if (columns < 1 || rows < 1 || columns % type.blockSize() != 0) {
            throw new IllegalArgumentException("weight " + name + " has shape " + rows + "x" + columns + ", not whole"
                    + " rows of " + type.ggmlName() + " blocks of " + type.blockSize());
        }
        long bytes = Math.multiplyExact(type.byteSize(columns), (long) rows);
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException("weight " + name + ": " + rows + "x" + columns + " " + type.ggmlName()
                    + " needs " + bytes + " bytes, but the data has " + data.byteSize());
        }
        DeviceBuffer b = runtime.upload(data.asSlice(0, bytes), name);
        return new OpenClTensor(name, type, columns, rows, this, b.all(), b);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        if (columns < 1 || rows < 1) {
            throw new IllegalArgumentException("activation " + name + " has a non-positive shape " + rows + "x"
                    + columns);
        }
        DeviceBuffer b = runtime.allocate(4L * columns * rows, name);
        return new OpenClTensor(name, GgmlType.F32, columns, rows, this, b.all(), b);
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        OpenClTensor t = own(tensor);
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > t.rows()) {
            throw new IllegalArgumentException("view of rows [" + firstRow + ", " + (firstRow + rowCount)
                    + ") is outside " + t);
        }
        return t.rows(firstRow, rowCount);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        if (!OpenClOps.supportsKvCache(spec.type())) {
            throw new IllegalArgumentException("the opencl backend has no " + spec.type().ggmlName() + " KV cache");
        }
        OpenClKvCache cache = new OpenClKvCache(spec, this, runtime);
        caches.add(cache);
        return cache;
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        OpenClTensor t = activation(dst, "write destination");
        DeviceSlice s = t.slice();
        s.buffer().write(s.offset() / Float.BYTES, src, srcOffset, t.rows() * t.columns());
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        OpenClTensor t = activation(src, "read source");
        DeviceSlice s = t.slice();
        s.buffer().read(s.offset() / Float.BYTES, dst, dstOffset, t.rows() * t.columns());
    }

    @Override
    public void free(Tensor tensor) {
        DeviceBuffer b = own(tensor).owned();
        if (b != null) {
            b.close();
        }
    }

    // ---- operations -------------------------------------------------------------------------------------------

    @Override
    public void getRows(Tensor table, int[] tokenIds, Tensor out) {
        OpenClTensor t = own(table);
        OpenClTensor o = activation(out, "getRows output");
        if (o.columns() != t.columns() || o.rows() != tokenIds.length) {
            throw shape("getRows", table, out, tokenIds.length + " rows of " + t.columns());
        }
        for (int id : tokenIds) {
            if (id < 0 || id >= t.rows()) {
                throw new IllegalArgumentException("getRows: id " + id + " is outside the " + t.rows() + " rows of "
                        + t.name());
            }
        }
        DeviceBuffer idBuffer = ids.atLeast(4L * tokenIds.length);
        idBuffer.write(0, tokenIds, 0, tokenIds.length);
        ops.getRows(t.type(), t.slice(), t.columns(), idBuffer, tokenIds.length, o.slice());
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        OpenClTensor a = activation(x, "rmsNorm input");
        OpenClTensor w = vector(weight, "rmsNorm weight");
        OpenClTensor o = activation(out, "rmsNorm output");
        if (a.columns() % w.columns() != 0 || o.columns() != a.columns() || o.rows() != a.rows()) {
            throw shape("rmsNorm", x, out, "rows of groups of " + w.columns());
        }
        int groups = a.rows() * (a.columns() / w.columns());
        ops.rmsNorm(a.slice(), w.slice(), o.slice(), groups, w.columns(), eps);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        OpenClTensor m = own(w);
        OpenClTensor in = activation(x, "matmul input");
        OpenClTensor o = activation(out, "matmul output");
        checkProduct("matmul", m, in, o);
        ops.matmul(m.type(), m.slice(), m.rows(), m.columns(), in.slice(), in.rows(), o.slice());
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        OpenClTensor g = own(gate);
        OpenClTensor u = own(up);
        OpenClTensor in = activation(x, "matmulSwiGlu input");
        OpenClTensor o = activation(out, "matmulSwiGlu output");
        if (g.rows() != u.rows() || g.columns() != u.columns()) {
            throw shape("matmulSwiGlu", gate, up, "gate and up of the same shape");
        }
        checkProduct("matmulSwiGlu", g, in, o);
        if (g.type() == u.type()) {
            ops.matmulSwiGlu(g.type(), g.slice(), u.slice(), g.rows(), g.columns(), in.slice(), in.rows(),
                    o.slice());
            return;
        }
        // Mixed types (some quantization mixes give gate and up different types): two products, then SwiGLU.
        long bytes = 4L * in.rows() * g.rows();
        DeviceSlice gs = gateScratch.atLeast(bytes).all().slice(0, bytes);
        DeviceSlice us = upScratch.atLeast(bytes).all().slice(0, bytes);
        ops.matmul(g.type(), g.slice(), g.rows(), g.columns(), in.slice(), in.rows(), gs);
        ops.matmul(u.type(), u.slice(), u.rows(), u.columns(), in.slice(), in.rows(), us);
        ops.swiglu(gs, us, o.slice(), in.rows() * g.rows());
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        OpenClTensor x = activation(a, "add input");
        OpenClTensor y = own(b);
        OpenClTensor o = activation(out, "add output");
        if (y.type() != GgmlType.F32 || o.columns() != x.columns() || o.rows() != x.rows()
                || y.columns() != x.columns() || (y.rows() != 1 && y.rows() != x.rows())) {
            throw shape("add", a, b, "F32 b with a's columns and 1 or a's rows");
        }
        int n = x.rows() * x.columns();
        ops.add(x.slice(), y.slice(), o.slice(), n, y.rows() == x.rows() ? n : x.columns());
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        OpenClTensor a = activation(x, "rope input");
        if (headDim < 1 || a.columns() % headDim != 0 || spec.dims() > headDim) {
            throw new IllegalArgumentException("rope: " + x + " is not a whole number of heads of " + headDim
                    + " with " + spec.dims() + " rotated dimensions");
        }
        if (startPos < 0) {
            throw new IllegalArgumentException("rope: start position " + startPos + " is negative");
        }
        RopeTable table = ropeTables.get(spec);
        if (table == null) {
            table = ropeTable(spec);
            ropeTables.put(spec, table);
        }
        ops.rope(a.slice(), a.rows(), a.columns() / headDim, headDim, spec.dims(), startPos, table.frequencies(),
                table.mscale(), spec.layout() == RopeLayout.NEOX);
    }

    private RopeTable ropeTable(RopeSpec spec) {
        float[] factors = null;
        if (spec.freqFactors() != null) {
            OpenClTensor f = vector(spec.freqFactors(), "rope frequency factors");
            if (f.columns() < spec.dims() / 2) {
                throw new IllegalArgumentException("rope: " + f + " has " + f.columns() + " factors, "
                        + spec.dims() / 2 + " needed");
            }
            factors = new float[f.columns()];
            f.slice().buffer().read(f.slice().offset() / Float.BYTES, factors, 0, factors.length);
        }
        RopeFrequencies freq = RopeFrequencies.of(spec.dims(), spec.freqBase(), spec.freqScale(), factors,
                spec.extFactor(), spec.attnFactor(), spec.betaFast(), spec.betaSlow(), spec.originalContext());
        return new RopeTable(runtime.upload(freq.perPair(), "rope frequencies"), freq.mscale());
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        OpenClKvCache c = cacheOf(cache);
        OpenClTensor ka = activation(k, "storeKv keys");
        OpenClTensor va = activation(v, "storeKv values");
        KvCacheSpec s = c.spec();
        int width = s.kvHeads() * s.headDim();
        if (ka.columns() != width || va.columns() != width || ka.rows() != va.rows()) {
            throw shape("storeKv", k, v, ka.rows() + " rows of " + width + " (kvHeads x headDim)");
        }
        checkPositions("storeKv", s, layer, startPos, ka.rows());
        long at = (long) startPos * width;
        ops.storeKv(ka.slice(), c.keys(layer), at, s.type(), ka.rows() * width);
        ops.storeKv(va.slice(), c.values(layer), at, s.type(), va.rows() * width);
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        OpenClKvCache c = cacheOf(cache);
        OpenClTensor qa = activation(q, "attention queries");
        OpenClTensor o = activation(out, "attention output");
        KvCacheSpec s = c.spec();
        if (heads < 1 || heads % s.kvHeads() != 0 || qa.columns() != heads * s.headDim()
                || o.columns() != qa.columns() || o.rows() != qa.rows()) {
            throw shape("attention", q, out, heads + " heads of " + s.headDim() + " (a multiple of " + s.kvHeads()
                    + " KV heads) in q and out alike");
        }
        checkPositions("attention", s, layer, startPos, qa.rows());
        ops.attention(qa.slice(), c.keys(layer), c.values(layer), s.type(), o.slice(), qa.rows(), heads,
                s.kvHeads(), s.headDim(), startPos, scale);
    }

    @Override
    public int[] argmax(Tensor x) {
        OpenClTensor a = activation(x, "argmax input");
        DeviceBuffer result = argmaxResult.atLeast(4L * a.rows());
        ops.argmax(a.slice(), a.rows(), a.columns(), result);
        int[] r = new int[a.rows()];
        result.read(0, r, 0, r.length);
        for (int i = 0; i < r.length; i++) {
            if (r[i] >= a.columns()) {
                throw new IllegalStateException("argmax: row " + i + " of " + a + " has no value above -infinity (NaN"
                        + " logits)");
            }
        }
        return r;
    }

    @Override
    public void synchronize() {
        runtime.finish();
    }

    @Override
    public void close() {
        caches.forEach(OpenClKvCache::close);
        caches.clear();
        ropeTables.clear();
        runtime.close();
    }

    // ---- checks -----------------------------------------------------------------------------------------------

    private OpenClTensor own(Tensor t) {
        if (t instanceof OpenClTensor c && t.backend() == this) {
            return c;
        }
        throw new IllegalArgumentException("tensor " + t.name() + " does not belong to this opencl backend");
    }

    private OpenClTensor activation(Tensor t, String role) {
        OpenClTensor c = own(t);
        if (c.type() != GgmlType.F32) {
            throw new IllegalArgumentException(role + " " + t + " must be F32");
        }
        return c;
    }

    private OpenClTensor vector(Tensor t, String role) {
        OpenClTensor c = activation(t, role);
        if (c.rows() != 1) {
            throw new IllegalArgumentException(role + " " + t + " must be a single row");
        }
        return c;
    }

    private OpenClKvCache cacheOf(KvCache cache) {
        if (cache instanceof OpenClKvCache c && c.backend() == this) {
            return c;
        }
        throw new IllegalArgumentException("KV cache does not belong to this opencl backend");
    }

    private static void checkProduct(String op, OpenClTensor w, OpenClTensor x, OpenClTensor out) {
        if (x.columns() != w.columns() || out.columns() != w.rows() || out.rows() != x.rows()) {
            throw shape(op, w, x, "x with " + w.columns() + " columns and out of " + x.rows() + " rows of "
                    + w.rows() + " (got out " + out + ")");
        }
    }

    private static void checkPositions(String op, KvCacheSpec s, int layer, int startPos, int count) {
        if (layer < 0 || layer >= s.layers()) {
            throw new IllegalArgumentException(op + ": layer " + layer + " is outside the cache's " + s.layers());
        }
        if (startPos < 0 || (long) startPos + count > s.contextLength()) {
            throw new IllegalArgumentException(op + ": positions [" + startPos + ", " + (startPos + count)
                    + ") are outside the cache's context of " + s.contextLength());
        }
    }

    private static IllegalArgumentException shape(String op, Tensor a, Tensor b, String expected) {
        return new IllegalArgumentException(op + ": shapes of " + a + " and " + b + " do not fit; expected "
                + expected);
    }

    /** A device buffer that grows to the largest size asked for and is reused. */
    private final class Scratch {
        private final String what;
        private DeviceBuffer buffer;

        Scratch(String what) {
            this.what = what;
        }

        DeviceBuffer atLeast(long bytes) {
            if (buffer == null || buffer.bytes() < bytes) {
                if (buffer != null) {
                    buffer.close();
                }
                buffer = runtime.allocate(Math.max(bytes, 256), what);
            }
            return buffer;
        }
    }
}
