package org.ristretto.opencl.model;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.DeviceInfo;
import org.ristretto.core.backend.KvCache;
import org.ristretto.core.backend.KvCacheSpec;
import org.ristretto.core.backend.Op;
import org.ristretto.core.backend.RopeSpec;
import org.ristretto.core.backend.Tensor;
import org.ristretto.core.quant.GgmlType;

/**
 * A real backend that claims to lack some (operation, type) pairs, as a device without those kernels would, and
 * fails any call that uses one: the computation itself is the real backend's.
 */
final class RestrictedBackend implements Backend {

    /** An operation with a type the backend pretends to have no kernel for. */
    record Missing(Op op, GgmlType type) {}

    private final Backend real;
    private final Set<Missing> missing;

    RestrictedBackend(Backend real, Set<Missing> missing) {
        this.real = real;
        this.missing = Set.copyOf(missing);
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public DeviceInfo device() {
        return real.device();
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return !missing.contains(new Missing(op, type)) && real.supports(op, type);
    }

    private void require(Op op, GgmlType type) {
        if (!supports(op, type)) {
            throw new AssertionError(op + " with " + type.ggmlName() + " was called although unsupported");
        }
    }

    @Override
    public Tensor weight(String name, GgmlType type, int columns, int rows, MemorySegment data) {
        return real.weight(name, type, columns, rows, data);
    }

    @Override
    public Tensor allocate(String name, int columns, int rows) {
        return real.allocate(name, columns, rows);
    }

    @Override
    public Tensor view(Tensor tensor, int firstRow, int rowCount) {
        return real.view(tensor, firstRow, rowCount);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        require(Op.STORE_KV, spec.type());
        require(Op.ATTENTION, spec.type());
        return real.allocateKvCache(spec);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        real.write(dst, src, srcOffset);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        real.read(src, dst, dstOffset);
    }

    @Override
    public void free(Tensor tensor) {
        real.free(tensor);
    }

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        require(Op.GET_ROWS, table.type());
        real.getRows(table, ids, out);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        require(Op.RMS_NORM, GgmlType.F32);
        real.rmsNorm(x, weight, eps, out);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        require(Op.MATMUL, w.type());
        real.matmul(w, x, out);
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        require(Op.MATMUL_SWIGLU, gate.type());
        require(Op.MATMUL_SWIGLU, up.type());
        real.matmulSwiGlu(gate, up, x, out);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        require(Op.ADD, GgmlType.F32);
        real.add(a, b, out);
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        require(Op.ROPE, GgmlType.F32);
        real.rope(x, headDim, startPos, spec);
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        require(Op.STORE_KV, cache.spec().type());
        real.storeKv(cache, layer, startPos, k, v);
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        require(Op.ATTENTION, cache.spec().type());
        real.attention(q, cache, layer, startPos, heads, scale, out);
    }

    @Override
    public int[] argmax(Tensor x) {
        require(Op.ARGMAX, GgmlType.F32);
        return real.argmax(x);
    }

    @Override
    public void synchronize() {
        real.synchronize();
    }

    @Override
    public void close() {
        real.close();
    }
}
