package org.ristretto.core.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELException;

/**
 * Python's {@code str.format} for the replacement fields templates use: {@code {}}, {@code {0}}, {@code {name}} and
 * the escapes {@code {{ }}}. Format specifications and conversions ({@code {:>8}}, {@code {!r}}) are rejected with
 * a clear error rather than rendered wrongly.
 */
final class PythonFormat {
    private PythonFormat() {}

    static String format(String pattern, Object[] args) {
        List<Object> positional = new ArrayList<>();
        Map<String, Object> named = new HashMap<>();
        for (Object a : args) {
            if (a instanceof NamedParameter p) {
                named.put(p.getName(), p.getValue());
            } else {
                positional.add(a);
            }
        }
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '}') {
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '}') {
                    out.append('}');
                    i++;
                    continue;
                }
                throw new ELException("str.format(): single '}' in " + quote(pattern));
            }
            if (c != '{') {
                out.append(c);
                continue;
            }
            if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '{') {
                out.append('{');
                i++;
                continue;
            }
            int close = pattern.indexOf('}', i);
            if (close < 0) {
                throw new ELException("str.format(): unclosed '{' in " + quote(pattern));
            }
            String field = pattern.substring(i + 1, close);
            Object value;
            if (field.isEmpty()) {
                value = positional(positional, next++, pattern);
            } else if (field.chars().allMatch(Character::isDigit)) {
                value = positional(positional, Integer.parseInt(field), pattern);
            } else if (field.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
                if (!named.containsKey(field)) {
                    throw new ELException("str.format(): no keyword argument '" + field + "' for " + quote(pattern));
                }
                value = named.get(field);
            } else {
                throw new ELException("str.format(): the field {" + field + "} uses a format specification or "
                        + "conversion, which is not supported");
            }
            out.append(PythonJson.str(value));
            i = close;
        }
        return out.toString();
    }

    private static Object positional(List<Object> values, int index, String pattern) {
        if (index >= values.size()) {
            throw new ELException("str.format(): replacement index " + index + " out of range for "
                    + values.size() + " positional arguments in " + quote(pattern));
        }
        return values.get(index);
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }
}
