package org.ristretto.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.ristretto.core.backend.Backend;
import org.ristretto.core.backend.Op;
import org.ristretto.core.quant.GgmlType;

/**
 * What a backend runs with its own kernels and what goes through the CPU fallback, from its
 * {@link Backend#supports} answers over every weight type Ristretto can compute with.
 */
final class Capabilities {
    private static final List<Op> WEIGHT_OPS = List.of(Op.MATMUL, Op.MATMUL_SWIGLU, Op.GET_ROWS);
    private static final List<Op> KV_OPS = List.of(Op.STORE_KV, Op.ATTENTION);
    private static final List<Op> F32_OPS = List.of(Op.RMS_NORM, Op.ADD, Op.ROPE, Op.ARGMAX);

    private Capabilities() {
    }

    /**
     * One line: "runs: weights ...; kv cache ...; ops ...", then "; cpu fallback: ..." for what {@code backend}
     * lacks and {@code cpu} has (a type the backend runs only some operations of is listed with the missing ones),
     * and "; unsupported: ..." for what neither has. {@code cpu} is null for the CPU backend itself, which has no
     * fallback part.
     */
    static String line(Backend backend, Backend cpu) {
        List<GgmlType> types = Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported).toList();
        List<String> runs = new ArrayList<>();
        List<String> fallback = new ArrayList<>();
        List<String> neither = new ArrayList<>();
        classify("weights", types, WEIGHT_OPS, backend, cpu, runs, fallback, neither);
        classify("kv cache", List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0), KV_OPS, backend, cpu, runs,
                fallback, neither);
        for (Op op : F32_OPS) {
            classify("ops", List.of(GgmlType.F32), List.of(op), backend, cpu, runs, fallback, neither);
        }
        String line = "runs: " + String.join("; ", runs);
        if (cpu != null) {
            line += "; cpu fallback: " + (fallback.isEmpty() ? "none" : String.join("; ", fallback));
        }
        return neither.isEmpty() ? line : line + "; unsupported: " + String.join("; ", neither);
    }

    private static void classify(String group, List<GgmlType> types, List<Op> ops, Backend backend, Backend cpu,
                                 List<String> runs, List<String> fallback, List<String> neither) {
        List<String> own = new ArrayList<>();
        List<String> viaCpu = new ArrayList<>();
        List<String> none = new ArrayList<>();
        for (GgmlType type : types) {
            String label = ops.size() == 1 && group.equals("ops") ? name(ops.getFirst()) : type.ggmlName();
            List<Op> missing = ops.stream().filter(op -> !backend.supports(op, type)).toList();
            if (missing.isEmpty()) {
                own.add(label);
            } else if (cpu != null && missing.stream().allMatch(op -> cpu.supports(op, type))) {
                viaCpu.add(missing.size() == ops.size() ? label
                        : label + " (" + missing.stream().map(Capabilities::name).collect(Collectors.joining(", "))
                        + ")");
            } else {
                none.add(label);
            }
        }
        add(group, own, runs);
        add(group, viaCpu, fallback);
        add(group, none, neither);
    }

    /** Appends "group a b c", or extends the previous entry of the same group. */
    private static void add(String group, List<String> items, List<String> into) {
        if (items.isEmpty()) {
            return;
        }
        String joined = String.join(" ", items);
        if (!into.isEmpty() && into.getLast().startsWith(group + " ")) {
            into.set(into.size() - 1, into.getLast() + " " + joined);
        } else {
            into.add(group + " " + joined);
        }
    }

    private static String name(Op op) {
        return op.name().toLowerCase(Locale.ROOT);
    }
}
