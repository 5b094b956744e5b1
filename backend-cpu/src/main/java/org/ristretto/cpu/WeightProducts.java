package org.ristretto.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.ristretto.core.backend.PackedCopyCache;
import org.ristretto.core.backend.WeightPacking;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.cpu.kernel.MatMul;
import org.ristretto.cpu.kernel.PackedMatrix;

/**
 * The CPU backend's matrix products, whose shapes the backend has checked: which weights get packed copies and when,
 * within the memory budget, and the warm-up of the kernels before the first product. Like {@link MatMul}, one caller
 * at a time.
 */
final class WeightProducts implements AutoCloseable {
    private final MatMul matMul;
    /** The packed copies of weight matrices, made at the product {@link #packsNow} picks. */
    private final MappedMemory packedMemory;
    /** The packed copies kept between runs, or null where they are made in memory only. */
    private final PackedCopyFile keptCopies;
    /** Where new packed copies go: the kept copies' new file, or {@link #packedMemory}. */
    private final SegmentAllocator copyMemory;
    /** Types of the weights with a packed kernel that has not run yet. */
    private final Set<GgmlType> coldPackedTypes = EnumSet.noneOf(GgmlType.class);
    /**
     * Types whose prompts read the file's layout ({@link #promptsReadTheFile}): their packed kernels are warmed up at
     * their first packing, after the first token, or before the first product of a long batch, whichever comes first
     * (cold run -n 1 of the 1B Q8_0: 2.26 → 2.07 s, Q4_0: 3.27 → 2.63 s, alternated rounds on the Zen 4).
     */
    private final Set<GgmlType> laterPackedTypes = EnumSet.noneOf(GgmlType.class);
    /** Types whose packed kernels were warmed up: a weight made after the first product does not warm them again. */
    private final Set<GgmlType> warmPackedTypes = EnumSet.noneOf(GgmlType.class);
    /** Types whose file-layout kernels will run one- and few-token products, not yet warmed up. */
    private final Map<GgmlType, MatMul.WarmUpMatrix> coldFileLayoutTypes = new EnumMap<>(GgmlType.class);
    /** Types whose file-layout kernels were warmed up (or are queued in {@link #coldFileLayoutTypes}). */
    private final Set<GgmlType> fileLayoutTypes = EnumSet.noneOf(GgmlType.class);
    /** Types whose tiled kernels {@link #warmUpTiled} has had compiled (once per type: MatMul does not track it). */
    private final Set<GgmlType> tiledTypes = EnumSet.noneOf(GgmlType.class);
    private final boolean packWeights;
    /** The most bytes of packed copies made; matrices past it stay in the file's layout. */
    private final long packBudget;
    private long packedBytes;
    // multiplyMany's packed copies and outputs, by weight, kept from call to call so that a call allocates nothing.
    private PackedMatrix[] manyPacked = new PackedMatrix[0];
    private float[][] manyOutData = new float[0][];
    private int[] manyOutOffsets = new int[0];

    /**
     * @param packCache where packed copies are kept between runs ({@link PackedCopyFile}), or null for none
     */
    WeightProducts(MatMul matMul, WeightPacking packing, long packBudget, PackedCopyCache packCache) {
        this.matMul = matMul;
        this.packWeights = packing.packs();
        this.packedMemory = new MappedMemory(packing == WeightPacking.PACKED_ON_HUGE_PAGES);
        this.packBudget = packBudget;
        this.keptCopies = packWeights && packCache != null
                ? PackedCopyFile.open(packCache, matMul.packedLayoutKey(), packedMemory) : null;
        this.copyMemory = keptCopies != null ? keptCopies.memory() : packedMemory;
    }

    boolean supports(GgmlType type) {
        return matMul.supports(type);
    }

    /** Notes a new weight matrix, so that the kernels its products will run are warmed up before the first one. */
    void willMultiply(GgmlType type, MemorySegment data, int rows, int columns) {
        if (rows > 1 && matMul.supports(type)) {
            boolean packs = packWeights && matMul.hasPacked(type);
            if (packs && !warmPackedTypes.contains(type)) {
                (promptsReadTheFile(type) ? laterPackedTypes : coldPackedTypes).add(type);
            }
            // Products run the file's layout where there is no packed copy, and before there is one (see packed).
            if (!packs || promptsReadTheFile(type)) {
                willUseFileLayout(type, data, rows, columns);
            }
        }
    }

    /** {@code o = m · in}. */
    void multiply(CpuWeight m, CpuActivation in, CpuActivation o) {
        warmUpKernels(in.rows());
        PackedMatrix p = packed(m, in.rows());
        if (p != null) {
            matMul.multiply(p, in.data(), in.offset(), in.rows(), o.data(), o.offset());
            return;
        }
        warmUpTiled(m, in.rows());
        matMul.multiply(m.type(), m.data(), 0, m.rows(), m.columns(), in.data(), in.offset(), in.rows(), o.data(),
                o.offset());
    }

    /** Before the first tiled product of {@code w}'s type ({@code tokens} of them): {@link MatMul#warmUpTiled}. */
    private void warmUpTiled(CpuWeight w, int tokens) {
        if (tokens > MatMul.PACKED_MAX_TOKENS && tiledTypes.add(w.type())) {
            matMul.warmUpTiled(new MatMul.WarmUpMatrix(w.type(), w.data(), w.rows(), w.columns()));
        }
    }

    /**
     * {@code os[i] = ws[i] · in}: one token or a short batch multiplies each run of consecutive weights that have
     * packed copies of one type as one operation ({@link MatMul#multiplyMany}); every other weight is a product of
     * its own.
     */
    void multiplyMany(CpuWeight[] ws, CpuActivation in, CpuActivation[] os) {
        warmUpKernels(in.rows());
        if (manyPacked.length < ws.length) {
            manyPacked = new PackedMatrix[ws.length];
            manyOutData = new float[ws.length][];
            manyOutOffsets = new int[ws.length];
        }
        PackedMatrix[] ps = manyPacked;
        for (int i = 0; i < ws.length; i++) {
            ps[i] = packed(ws[i], in.rows());
            manyOutData[i] = os[i].data();
            manyOutOffsets[i] = os[i].offset();
        }
        for (int from = 0, to; from < ws.length; from = to) {
            to = from + 1;
            while (ps[from] != null && to < ws.length && ps[to] != null && ws[to].type() == ws[from].type()) {
                to++;
            }
            if (to - from == 1) {
                multiply(ws[from], in, os[from]);
            } else {
                matMul.multiplyMany(ps, from, to, in.data(), in.offset(), in.rows(), manyOutData, manyOutOffsets);
            }
        }
        Arrays.fill(ps, null);
        Arrays.fill(manyOutData, null);
    }

    /** {@code o = silu(g · in) × (u · in)}, for a gate and an up matrix of one shape. */
    void multiplySwiGlu(CpuWeight g, CpuWeight u, CpuActivation in, CpuActivation o) {
        warmUpKernels(in.rows());
        if (g.type() == u.type()) {
            PackedMatrix pg = packed(g, in.rows());
            PackedMatrix pu = packed(u, in.rows());
            if (pg != null && pu != null) {
                matMul.multiplySwiGlu(pg, pu, in.data(), in.offset(), in.rows(), o.data(), o.offset());
                return;
            }
        }
        warmUpTiled(g, in.rows());
        warmUpTiled(u, in.rows());
        matMul.multiplySwiGlu(g.type(), g.data(), 0, u.type(), u.data(), 0, g.rows(), g.columns(), in.data(),
                in.offset(), in.rows(), o.data(), o.offset());
    }

    /**
     * Queues the file-layout kernel of {@code type} for {@link #warmUpKernels}, with this matrix to run it on, unless
     * that type's kernel was queued before: each is warmed up once.
     */
    private void willUseFileLayout(GgmlType type, MemorySegment data, int rows, int columns) {
        if (fileLayoutTypes.add(type)) {
            coldFileLayoutTypes.put(type, new MatMul.WarmUpMatrix(type, data, rows, columns));
        }
    }

    /**
     * Has the JIT compile the kernels that one- and few-token products will run, once, side by side, about half a
     * second of a worker each in a cold start: before the first product of any kind, the packed kernels of the
     * model's packed types and the file-layout kernels of its other types and of those whose prompts read the file's
     * layout ({@link #promptsReadTheFile}); the latter's packed kernels at their first packing
     * ({@link #laterPackedTypes}), or before a product of more than {@link MatMul#PACKED_MAX_TOKENS} tokens
     * ({@code tokens}), because a packed kernel compiled after a long batched prefill was measured to come out
     * several times slower (the Vector API's shared methods then carry the prefill kernels' profiles: tg128 of a
     * Q4_K_M 1B at 2–5 t/s instead of 15–18 after a pp512 test, in eight runs of ten). After a short prompt on the
     * file-layout kernels they were not slower (run -n 256 of the Q8_0 and Q4_0 1B models, two alternated rounds).
     */
    private void warmUpKernels(int tokens) {
        if (tokens > MatMul.PACKED_MAX_TOKENS) {
            coldPackedTypes.addAll(laterPackedTypes);
            laterPackedTypes.clear();
        }
        if (!coldPackedTypes.isEmpty() || !coldFileLayoutTypes.isEmpty()) {
            matMul.warmUp(coldPackedTypes, coldFileLayoutTypes.values());
            warmPackedTypes.addAll(coldPackedTypes);
            coldPackedTypes.clear();
            coldFileLayoutTypes.clear();
        }
    }

    /**
     * The packed copy of {@code w} for a product of {@code tokens} tokens, or null where the file's layout serves.
     * Products of more than {@link MatMul#packedMaxTokens} tokens never use one, so a run that only multiplies long
     * batches (a long prefill, the logits of a whole prompt) never copies. Otherwise the copy is made
     * ({@link #packsNow}) at the weight's first product, or, for the types whose prompts read the file's layout
     * ({@link #promptsReadTheFile}), at its second one-token product: their first generated token comes from
     * the file's mapping, without copying the model first, since the prompt is a batch and its last row's logits
     * are the output matrix's first one-token product (packing only that matrix, 0.27 GB of a 1B Q8_0 model, took
     * 0.26–0.46 s there), and decoding packs each weight at its second token. Which kernel a product runs depends
     * only on the products before it, never on timing.
     */
    private PackedMatrix packed(CpuWeight w, int tokens) {
        if (!packWeights || tokens > MatMul.packedMaxTokens(w.type())) {
            return null;
        }
        if (!w.packTried() && packsNow(w, tokens)) {
            long size = matMul.packedBytes(w.type(), w.rows(), w.columns());
            PackedMatrix p = null;
            if (size > 0 && packedBytes + size <= packBudget) {
                if (laterPackedTypes.remove(w.type())) {
                    coldPackedTypes.add(w.type());
                    warmUpKernels(tokens);
                }
                packedBytes += size;
                p = keptCopies == null ? null : keptCopies.find(w, matMul);
                if (p == null) {
                    p = matMul.pack(w.type(), w.data(), 0, w.rows(), w.columns(), copyMemory);
                    if (p != null && keptCopies != null) {
                        keptCopies.packed(w, p);
                    }
                }
            }
            w.setPacked(p);
            if (p == null) {
                // Past the budget, or a matrix the packed kernel would not compute exactly: the file's layout, warm.
                willUseFileLayout(w.type(), w.data(), w.rows(), w.columns());
                warmUpKernels(tokens);
            }
        }
        return w.packed();
    }

    /**
     * Whether this product of {@code tokens} tokens (at most {@link MatMul#packedMaxTokens}) is when {@code w},
     * not packed yet, gets its copy: at its second one-token product where prompts read the file's layout
     * ({@link #promptsReadTheFile}), else at its first product.
     */
    private boolean packsNow(CpuWeight w, int tokens) {
        return !promptsReadTheFile(w.type()) || tokens == 1 && w.noteOneTokenProduct();
    }

    /**
     * Whether prompts of {@code type} matrices read the file's layout until decoding packs them
     * ({@link MatMul#promptsReadTheFile}); not where packed copies are kept between runs, since mapping a kept copy
     * costs no fresh memory (a cold Q8_0 1B start to its first token: 1.8–2.3 s with a kept file, 2.6 s reading the
     * prompt from the model's mapping).
     */
    private boolean promptsReadTheFile(GgmlType type) {
        return keptCopies == null && matMul.promptsReadTheFile(type);
    }

    @Override
    public void close() {
        try {
            if (keptCopies != null) {
                keptCopies.close();
            }
        } finally {
            packedMemory.close();
        }
    }
}
