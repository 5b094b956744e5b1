package org.ristretto.core.backend;

import java.lang.foreign.MemorySegment;
import org.ristretto.core.quant.GgmlType;

/**
 * A backend that passes every call to another one: the base of decorators that change a few calls (timing them,
 * refusing some) and keep the rest. Tensors and caches stay the delegate's own. {@link #matmulMany} keeps the
 * interface's default, which calls {@link #matmul} per weight, so a subclass that changes {@code matmul} sees every
 * product; one that wants the delegate's fused form overrides it.
 */
public abstract class ForwardingBackend implements Backend {
    private final Backend delegate;

    protected ForwardingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** The backend the calls go to. */
    protected final Backend delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public DeviceInfo device() {
        return delegate.device();
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return delegate.supports(op, type);
    }

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        return delegate.weight(name, type, columns, rows, data);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        return delegate.allocate(name, columns, rows);
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        return delegate.view(tensor, firstRow, rowCount);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        return delegate.allocateKvCache(spec);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        delegate.write(dst, src, srcOffset);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        delegate.read(src, dst, dstOffset);
    }

    @Override
    public void free(Tensor tensor) {
        delegate.free(tensor);
    }

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        delegate.getRows(table, ids, out);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        delegate.rmsNorm(x, weight, eps, out);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        delegate.matmul(w, x, out);
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        delegate.matmulSwiGlu(gate, up, x, out);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        delegate.add(a, b, out);
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        delegate.rope(x, headDim, startPos, spec);
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        delegate.storeKv(cache, layer, startPos, k, v);
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        delegate.attention(q, cache, layer, startPos, heads, scale, out);
    }

    @Override
    public int[] argmax(Tensor x) {
        return delegate.argmax(x);
    }

    @Override
    public void synchronize() {
        delegate.synchronize();
    }

    /** Closes the delegate. */
    @Override
    public void close() {
        delegate.close();
    }
}
