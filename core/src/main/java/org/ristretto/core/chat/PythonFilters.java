package org.ristretto.core.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.List;
import java.util.Map;

/** Filters whose Jinjava versions differ from the Jinja2/Hugging Face ones that chat templates are written for. */
final class PythonFilters {
    private PythonFilters() {}

    /**
     * {@code tojson}, as Hugging Face overrides it: {@code json.dumps(x, ensure_ascii=False, indent=None,
     * separators=None, sort_keys=False)} with no HTML escaping. Jinjava's prints {@code {"a":1}}; Python prints
     * {@code {"a": 1}}, and the model was trained on the latter.
     */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            for (String k : kwargs.keySet()) {
                if (!List.of("indent", "separators", "sort_keys", "ensure_ascii").contains(k)) {
                    throw new IllegalArgumentException("tojson() got an unexpected keyword argument '" + k + "'");
                }
            }
            String indent = switch (indentArg) {
                case null -> null;
                case Number n -> " ".repeat(Math.max(0, n.intValue()));
                case CharSequence s -> s.toString();
                default -> throw new IllegalArgumentException("tojson indent must be an integer or a string");
            };
            String itemSeparator = indent == null ? ", " : ",";
            String keySeparator = ": ";
            if (kwargs.get("separators") instanceof List<?> separators) {
                if (separators.size() != 2) {
                    throw new IllegalArgumentException("tojson separators must be a pair (item, key)");
                }
                itemSeparator = String.valueOf(separators.get(0));
                keySeparator = String.valueOf(separators.get(1));
            }
            boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            String json = PythonJson.dumps(var, new PythonJson.Style(indent, itemSeparator, keySeparator, sortKeys));
            return Boolean.TRUE.equals(kwargs.get("ensure_ascii")) ? asciiOnly(json) : json;
        }

        /** {@code ensure_ascii=True}: every non-ASCII UTF-16 unit as a lower-case {@code \}{@code uXXXX} escape. */
        private static String asciiOnly(String json) {
            StringBuilder out = new StringBuilder(json.length());
            for (int i = 0; i < json.length(); i++) {
                char c = json.charAt(i);
                if (c < 0x80) {
                    out.append(c);
                } else {
                    out.append(String.format("\\u%04x", (int) c));
                }
            }
            return out.toString();
        }
    }

    /** {@code trim(chars=None)}: Python's {@code str.strip}; Jinjava's strips only ASCII control and space. */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object chars = kwargs.containsKey("chars") ? kwargs.get("chars") : args.length > 0 ? args[0] : null;
            return PythonStrings.strip(PythonJson.str(var == null ? "" : var), chars == null ? null : chars.toString());
        }
    }
}
