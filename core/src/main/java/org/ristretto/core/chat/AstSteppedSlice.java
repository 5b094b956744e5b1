package org.ristretto.core.chat;

import com.hubspot.jinjava.el.ext.AstRangeBracket;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/** {@code base[start::step]} with Python's slice rules, for a list, a collection, an array or a string. */
final class AstSteppedSlice extends AstRangeBracket {
    private final AstNode base;
    private final AstNode start;
    private final AstNode step;

    AstSteppedSlice(AstNode base, AstNode start, AstNode step, boolean lvalue, boolean strict) {
        super(base, start, null, lvalue, strict, false);
        this.base = base;
        this.start = start;
        this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
        Object value = base.eval(bindings, context);
        if (value == null) {
            return null;
        }
        long stepValue = integer(step.eval(bindings, context), "step");
        if (stepValue == 0) {
            throw new ELException("slice step cannot be zero");
        }
        Long startValue = start == null ? null : integer(start.eval(bindings, context), "start");
        if (value instanceof CharSequence text) {
            int[] codePoints = text.toString().codePoints().toArray();
            StringBuilder out = new StringBuilder();
            for (int i : indices(codePoints.length, startValue, stepValue)) {
                out.appendCodePoint(codePoints[i]);
            }
            return out.toString();
        }
        List<?> items = asList(value);
        List<Object> out = new ArrayList<>();
        for (int i : indices(items.size(), startValue, stepValue)) {
            out.add(items.get(i));
        }
        return out;
    }

    /** The indices Python's {@code range(*slice(start, None, step).indices(length))} gives. */
    static List<Integer> indices(int length, Long start, long step) {
        long first;
        long stop;
        if (step > 0) {
            first = start == null ? 0 : clamp(start < 0 ? start + length : start, 0, length);
            stop = length;
        } else {
            first = start == null ? length - 1 : clamp(start < 0 ? start + length : start, -1, length - 1);
            stop = -1;
        }
        List<Integer> out = new ArrayList<>();
        for (long i = first; step > 0 ? i < stop : i > stop; i += step) {
            out.add((int) i);
        }
        return out;
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static long integer(Object v, String what) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        throw new ELException("slice " + what + " must be an integer, not " + v);
    }

    private static List<?> asList(Object value) {
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Collection<?> collection) {
            return new ArrayList<>(collection);
        }
        if (value.getClass().isArray()) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                out.add(Array.get(value, i));
            }
            return out;
        }
        throw new ELException("cannot slice a " + value.getClass().getSimpleName());
    }

    @Override
    public String toString() {
        return "[" + (start == null ? "" : start) + "::" + step + "]";
    }
}
