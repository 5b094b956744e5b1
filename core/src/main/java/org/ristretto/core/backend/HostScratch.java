package org.ristretto.core.backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host side of one operation that {@link FallbackBackend} runs on the CPU: each input the primary holds is read
 * into a CPU scratch tensor, each output the primary holds gets one, and {@link #finish()} writes the outputs back.
 *
 * <p>Scratch tensors are allocated once per width and slot (the n-th tensor of that width in one operation) with the
 * most rows seen so far, and smaller batches use a row view of them, so decoding token after token allocates no host
 * memory. One operation at a time: {@link #begin()} starts the next.
 */
final class HostScratch {
    private final Backend primary;
    private final Backend cpu;
    private final Map<Long, Slot> slots = new HashMap<>();
    private final Map<FallbackTensor, Tensor> inCall = new IdentityHashMap<>();
    private final Map<Integer, Integer> usedPerWidth = new HashMap<>();
    private final List<FallbackTensor> writeBack = new ArrayList<>();
    private float[] staging = new float[0];
    private int allocations;

    /** A scratch tensor with room for the most rows seen, and the view of it last handed out. */
    private static final class Slot {
        Tensor full;
        Tensor view;
    }

    HostScratch(Backend primary, Backend cpu) {
        this.primary = primary;
        this.cpu = cpu;
    }

    /** Starts an operation: forgets the previous one's tensors (the scratch memory stays). */
    void begin() {
        inCall.clear();
        usedPerWidth.clear();
        writeBack.clear();
    }

    /** {@code t} as a CPU tensor holding its current contents. */
    Tensor input(FallbackTensor t) {
        if (!t.onPrimary()) {
            return t.inner();
        }
        if (t.isWeight()) {
            return t.hostWeight(cpu);
        }
        Tensor host = inCall.get(t);
        if (host == null) {
            host = take(t);
            float[] buffer = staging(t);
            primary.read(t.inner(), buffer, 0);
            cpu.write(host, buffer, 0);
        }
        return host;
    }

    /** {@code t} as a CPU tensor for an operation to write; {@link #finish()} copies it to the primary. */
    Tensor output(FallbackTensor t) {
        if (!t.onPrimary()) {
            return t.inner();
        }
        if (t.isWeight()) {
            throw new IllegalArgumentException("weight " + t + " cannot be an operation's output");
        }
        Tensor host = inCall.get(t);
        if (host == null) {
            host = take(t);
        }
        writeBack.add(t);
        return host;
    }

    /** Writes every output the primary holds back to it. */
    void finish() {
        for (FallbackTensor t : writeBack) {
            float[] buffer = staging(t);
            cpu.read(inCall.get(t), buffer, 0);
            primary.write(t.inner(), buffer, 0);
        }
        begin();
    }

    /** How many host buffers (scratch tensors and staging arrays) were allocated so far. */
    int allocations() {
        return allocations;
    }

    /** Frees the scratch tensors. */
    void close() {
        slots.values().forEach(s -> cpu.free(s.full));
        slots.clear();
    }

    private Tensor take(FallbackTensor t) {
        int width = t.columns();
        int rows = t.rows();
        int index = usedPerWidth.merge(width, 1, Integer::sum) - 1;
        Slot slot = slots.computeIfAbsent(((long) width << 16) | index, k -> new Slot());
        if (slot.full == null || slot.full.rows() < rows) {
            if (slot.full != null) {
                cpu.free(slot.full);
            }
            slot.full = cpu.allocate("fallback.scratch." + width + "." + index, width, rows);
            slot.view = slot.full;
            allocations++;
        }
        if (slot.view.rows() != rows) {
            slot.view = rows == slot.full.rows() ? slot.full : cpu.view(slot.full, 0, rows);
        }
        inCall.put(t, slot.view);
        return slot.view;
    }

    private float[] staging(Tensor t) {
        int n = t.rows() * t.columns();
        if (staging.length < n) {
            staging = new float[n];
            allocations++;
        }
        return staging;
    }
}
