package org.ristretto.core.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * Gives template strings and dicts the Python methods chat templates call on them ({@code content.strip()},
 * {@code content.split('</think>')[-1]}, {@code message.get('content', '')}), and indexing a string by position
 * ({@code text[0]}, {@code text[-1]}). It sits in front of Jinjava's own resolvers, so a template can never reach a
 * Java method of the same name with other semantics ({@code String.split} takes a regex).
 */
final class PythonMethodResolver extends ELResolver {

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        Long index = base instanceof CharSequence ? position(property) : null;
        if (index != null) {
            context.setPropertyResolved(true);
            String s = base.toString();
            int length = s.codePointCount(0, s.length());
            long i = index < 0 ? index + length : index;
            if (i < 0 || i >= length) {
                return null; // Jinja2 renders an index past the end as undefined, not as an error
            }
            int at = s.offsetByCodePoints(0, (int) i);
            return new String(Character.toChars(s.codePointAt(at)));
        }
        return null;
    }

    /**
     * An index into a string. Jinjava hands bracket indices over as text ({@code "0"}, {@code "-1"}); a string has
     * no attribute named by digits, so an integer-looking property is always a position.
     */
    private static Long position(Object property) {
        if (property instanceof Number n) {
            return n.longValue();
        }
        if (property instanceof String s && s.matches("-?\\d{1,9}")) {
            return Long.parseLong(s);
        }
        return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof CharSequence text) {
            Object result = stringMethod(text.toString(), name, args);
            context.setPropertyResolved(true);
            return result;
        }
        if (base instanceof Map<?, ?> map && name.equals("get") && args.length == 2) {
            context.setPropertyResolved(true);
            return map.containsKey(args[0]) ? map.get(args[0]) : args[1];
        }
        return null;
    }

    private static Object stringMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> PythonStrings.strip(s, optionalString(name, args, 0));
            case "lstrip" -> PythonStrings.lstrip(s, optionalString(name, args, 0));
            case "rstrip" -> PythonStrings.rstrip(s, optionalString(name, args, 0));
            case "split" -> PythonStrings.split(s, optionalString(name, args, 0), optionalInt(name, args, 1, -1));
            case "rsplit" -> PythonStrings.rsplit(s, optionalString(name, args, 0), optionalInt(name, args, 1, -1));
            case "splitlines" -> PythonStrings.splitlines(s);
            case "startswith" -> affix(s, name, args, true);
            case "endswith" -> affix(s, name, args, false);
            case "upper" -> PythonStrings.upper(s);
            case "lower" -> PythonStrings.lower(s);
            case "title" -> PythonStrings.title(s);
            case "capitalize" -> PythonStrings.capitalize(s);
            case "replace" -> PythonStrings.replace(
                    s, requiredString(name, args, 0), requiredString(name, args, 1), optionalInt(name, args, 2, -1));
            case "find" -> codePointIndex(s, s.indexOf(requiredString(name, args, 0)));
            case "rfind" -> codePointIndex(s, s.lastIndexOf(requiredString(name, args, 0)));
            case "count" -> PythonStrings.count(s, requiredString(name, args, 0));
            case "removeprefix" -> {
                String prefix = requiredString(name, args, 0);
                yield s.startsWith(prefix) ? s.substring(prefix.length()) : s;
            }
            case "removesuffix" -> {
                String suffix = requiredString(name, args, 0);
                yield s.endsWith(suffix) && !suffix.isEmpty() ? s.substring(0, s.length() - suffix.length()) : s;
            }
            case "isdigit" -> PythonStrings.isDigit(s);
            case "isalpha" -> PythonStrings.isAlpha(s);
            case "isalnum" -> PythonStrings.isAlnum(s);
            case "isspace" -> PythonStrings.isSpaceOnly(s);
            case "isupper" -> PythonStrings.isUpper(s);
            case "islower" -> PythonStrings.isLower(s);
            case "join" -> join(s, name, args);
            case "format" -> PythonFormat.format(s, args);
            default -> throw new ELException("str has no method '" + name + "' (Python str methods only)");
        };
    }

    private static boolean affix(String s, String name, Object[] args, boolean prefix) {
        Object wanted = argument(name, args, 0);
        List<String> candidates = new ArrayList<>();
        if (wanted instanceof Collection<?> several) {
            several.forEach(c -> candidates.add(String.valueOf(c)));
        } else if (wanted instanceof CharSequence one) {
            candidates.add(one.toString());
        } else {
            throw new ELException("str." + name + "() needs a string or a tuple of strings, not " + typeName(wanted));
        }
        return candidates.stream().anyMatch(c -> prefix ? s.startsWith(c) : s.endsWith(c));
    }

    private static String join(String separator, String name, Object[] args) {
        Object items = argument(name, args, 0);
        if (!(items instanceof Iterable<?> iterable)) {
            throw new ELException("str.join() needs a list of strings, not " + typeName(items));
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : iterable) {
            if (!(item instanceof CharSequence)) {
                throw new ELException("str.join() found a " + typeName(item) + " where a string was expected");
            }
            if (!first) {
                out.append(separator);
            }
            out.append(item);
            first = false;
        }
        return out.toString();
    }

    private static int codePointIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    private static Object argument(String name, Object[] args, int i) {
        if (i >= args.length) {
            throw new ELException("str." + name + "() is missing argument " + (i + 1));
        }
        if (args[i] instanceof NamedParameter named) {
            throw new ELException("str." + name + "() takes no keyword argument '" + named.getName() + "' here");
        }
        return args[i];
    }

    private static String requiredString(String name, Object[] args, int i) {
        Object v = argument(name, args, i);
        if (!(v instanceof CharSequence text)) {
            throw new ELException("str." + name + "() argument " + (i + 1) + " must be a string, not " + typeName(v));
        }
        return text.toString();
    }

    private static String optionalString(String name, Object[] args, int i) {
        return i < args.length && args[i] != null ? requiredString(name, args, i) : null;
    }

    private static int optionalInt(String name, Object[] args, int i, int fallback) {
        if (i >= args.length || args[i] == null) {
            return fallback;
        }
        if (argument(name, args, i) instanceof Number n) {
            return n.intValue();
        }
        throw new ELException("str." + name + "() argument " + (i + 1) + " must be an integer, not "
                + typeName(args[i]));
    }

    static String typeName(Object v) {
        return v == null ? "None" : v.getClass().getSimpleName();
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not handled here: the resolvers behind this one assign
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
