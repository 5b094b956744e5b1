package org.ristretto.core.chat;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=, separators=, sort_keys=)}, the
 * {@code tojson} filter of Hugging Face's chat-template environment, byte for byte: {@code ", "} and {@code ": "}
 * between items, non-ASCII text left as is, short escapes for {@code \n \r \t \b \f}, backslash-u escapes with lower-case hex
 * for other control characters, and floats in Python's {@code repr} form ({@code 1e-05}, {@code 0.1}, {@code 2.0}).
 * Jackson's printers differ in each of those details, which is why this is written out here.
 */
final class PythonJson {
    private PythonJson() {}

    /**
     * @param indent          null for one line, else the text repeated once per nesting level on each new line
     * @param itemSeparator   between items (Python: {@code ", "} on one line, {@code ","} when indenting)
     * @param keySeparator    between a key and its value (Python: {@code ": "})
     * @param sortKeys        whether object keys are sorted
     */
    record Style(String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        static final Style DEFAULT = new Style(null, ", ", ": ", false);
    }

    static String dumps(Object value, Style style) {
        StringBuilder out = new StringBuilder();
        write(value, style, 0, out);
        return out.toString();
    }

    private static void write(Object value, Style style, int depth, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case Optional<?> o -> write(o.orElse(null), style, depth, out);
            case Boolean b -> out.append(b ? "true" : "false");
            case CharSequence s -> string(s.toString(), out);
            case Character c -> string(c.toString(), out);
            case Number n -> out.append(number(n, true));
            case Map<?, ?> map -> object(map, style, depth, out);
            case Iterable<?> items -> {
                List<Object> list = new ArrayList<>();
                items.forEach(list::add);
                array(list, style, depth, out);
            }
            default -> {
                if (value.getClass().isArray()) {
                    List<Object> list = new ArrayList<>();
                    for (int i = 0; i < Array.getLength(value); i++) {
                        list.add(Array.get(value, i));
                    }
                    array(list, style, depth, out);
                } else {
                    throw new IllegalArgumentException(
                            "Object of type " + value.getClass().getSimpleName() + " is not JSON serializable");
                }
            }
        }
    }

    private static void array(List<Object> items, Style style, int depth, StringBuilder out) {
        if (items.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(style.itemSeparator());
            }
            newline(style, depth + 1, out);
            write(items.get(i), style, depth + 1, out);
        }
        newline(style, depth, out);
        out.append(']');
    }

    private static void object(Map<?, ?> map, Style style, int depth, StringBuilder out) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Member> members = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            members.add(new Member(key(e.getKey()), e.getValue()));
        }
        if (style.sortKeys()) {
            members.sort(Comparator.comparing(Member::key));
        }
        out.append('{');
        for (int i = 0; i < members.size(); i++) {
            if (i > 0) {
                out.append(style.itemSeparator());
            }
            newline(style, depth + 1, out);
            string(members.get(i).key(), out);
            out.append(style.keySeparator());
            write(members.get(i).value(), style, depth + 1, out);
        }
        newline(style, depth, out);
        out.append('}');
    }

    private record Member(String key, Object value) {}

    /** Python turns str, int, float, bool and None keys into strings and refuses the rest. */
    private static String key(Object k) {
        return switch (k) {
            case null -> "null";
            case CharSequence s -> s.toString();
            case Boolean b -> b ? "true" : "false";
            case Number n -> number(n, true);
            default -> throw new IllegalArgumentException(
                    "keys must be str, int, float, bool or None, not " + k.getClass().getSimpleName());
        };
    }

    private static void newline(Style style, int depth, StringBuilder out) {
        if (style.indent() != null) {
            out.append('\n').append(style.indent().repeat(depth));
        }
    }

    static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * A number as Python prints it: integers in full, floats by {@code repr} (shortest round-trip digits, fixed
     * notation for exponents -4 to 15, else {@code d.ddde+XX}). JSON spells the specials Infinity and NaN.
     */
    static String number(Number n, boolean json) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger) {
            return n.toString();
        }
        if (n instanceof BigDecimal bd && bd.scale() <= 0) {
            return bd.toBigInteger().toString();
        }
        double d = n.doubleValue();
        if (Double.isNaN(d)) {
            return json ? "NaN" : "nan";
        }
        if (Double.isInfinite(d)) {
            return (d > 0 ? "" : "-") + (json ? "Infinity" : "inf");
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale(); // d = 0.digits * 10^(exponent + 1)
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = shortest.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }

    /** Python's {@code str(value)} for the scalar values templates format into text. */
    static String str(Object value) {
        return switch (value) {
            case null -> "None";
            case Boolean b -> b ? "True" : "False";
            case CharSequence s -> s.toString();
            case Number n -> number(n, false);
            default -> String.valueOf(value);
        };
    }
}
