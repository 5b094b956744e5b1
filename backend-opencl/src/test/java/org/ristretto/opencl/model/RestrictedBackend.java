package org.ristretto.opencl.model;

import java.util.Set;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.ForwardingBackend;
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
final class RestrictedBackend extends ForwardingBackend {

    /** An operation with a type the backend pretends to have no kernel for. */
    record Missing(Op op, GgmlType type) {}

    private final Set<Missing> missing;

    RestrictedBackend(Backend real, Set<Missing> missing) {
        super(real);
        this.missing = Set.copyOf(missing);
    }

    @Override
    public boolean supports(Op op, GgmlType type) {
        return !missing.contains(new Missing(op, type)) && delegate().supports(op, type);
    }

    private void require(Op op, GgmlType type) {
        if (!supports(op, type)) {
            throw new AssertionError(op + " with " + type.ggmlName() + " was called although unsupported");
        }
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        require(Op.STORE_KV, spec.type());
        require(Op.ATTENTION, spec.type());
        return delegate().allocateKvCache(spec);
    }

    @Override
    public void getRows(Tensor table, int[] ids, Tensor out) {
        require(Op.GET_ROWS, table.type());
        delegate().getRows(table, ids, out);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        require(Op.RMS_NORM, GgmlType.F32);
        delegate().rmsNorm(x, weight, eps, out);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        require(Op.MATMUL, w.type());
        delegate().matmul(w, x, out);
    }

    @Override
    public void matmulSwiGlu(Tensor gate, Tensor up, Tensor x, Tensor out) {
        require(Op.MATMUL_SWIGLU, gate.type());
        require(Op.MATMUL_SWIGLU, up.type());
        delegate().matmulSwiGlu(gate, up, x, out);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        require(Op.ADD, GgmlType.F32);
        delegate().add(a, b, out);
    }

    @Override
    public void rope(Tensor x, int headDim, int startPos, RopeSpec spec) {
        require(Op.ROPE, GgmlType.F32);
        delegate().rope(x, headDim, startPos, spec);
    }

    @Override
    public void storeKv(KvCache cache, int layer, int startPos, Tensor k, Tensor v) {
        require(Op.STORE_KV, cache.spec().type());
        delegate().storeKv(cache, layer, startPos, k, v);
    }

    @Override
    public void attention(Tensor q, KvCache cache, int layer, int startPos, int heads, float scale, Tensor out) {
        require(Op.ATTENTION, cache.spec().type());
        delegate().attention(q, cache, layer, startPos, heads, scale, out);
    }

    @Override
    public int[] argmax(Tensor x) {
        require(Op.ARGMAX, GgmlType.F32);
        return delegate().argmax(x);
    }

}
