package org.ristretto.core.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter.InterpreterScopeClosable;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.lang3.tuple.Pair;

/**
 * The {@code for} tag with Jinja2's loop filter, {@code {% for key, val in tool.items() if key != "return" %}}
 * (Mistral's tool templates use it). Jinjava reads {@code xs if cond} as a conditional expression, which with the
 * loop variable still unbound keeps every item; here the items failing the condition are dropped before the loop
 * runs, so {@code loop.index}, {@code loop.last} and {@code loop.length} count only the kept ones, as in Jinja2.
 */
final class FilteredForTag extends ForTag {

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        Pair<List<String>, String> varsAndExpression = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
        String expression = varsAndExpression.getRight();
        int at = filterKeyword(expression);
        if (at < 0) {
            return super.interpretUnchecked(tagNode, interpreter);
        }
        List<String> vars = varsAndExpression.getLeft();
        Object collection = interpreter.resolveELExpression(expression.substring(0, at), tagNode.getLineNumber());
        String condition = expression.substring(at + 2);
        List<Object> kept = new ArrayList<>();
        ForLoop items = ObjectIterator.getLoop(collection);
        try (InterpreterScopeClosable scope = interpreter.enterScope()) {
            while (items.hasNext()) {
                Object item = items.next();
                bind(vars, interpreter.wrap(item), interpreter);
                if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
                    kept.add(item);
                }
            }
        }
        return renderForCollection(tagNode, interpreter, vars, kept);
    }

    /** Binds the loop variables to one item the way the loop itself will: unpacking a pair or a list. */
    private static void bind(List<String> vars, Object item, JinjavaInterpreter interpreter) {
        if (vars.size() == 1) {
            interpreter.getContext().put(vars.get(0), item);
            return;
        }
        for (int i = 0; i < vars.size(); i++) {
            Object value = switch (item) {
                case Map.Entry<?, ?> entry -> i == 0 ? entry.getKey() : i == 1 ? entry.getValue() : null;
                case List<?> list -> i < list.size() ? list.get(i) : null;
                case null, default -> null;
            };
            interpreter.getContext().put(vars.get(i), value);
        }
    }

    /**
     * The offset of the {@code if} that starts a loop filter: the first one outside quotes and brackets with
     * whitespace before it. Jinja2 parses the iterable without conditional expressions, so such an {@code if} can
     * only be a filter. -1 when there is none.
     */
    static int filterKeyword(String expression) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '\'', '"' -> quote = c;
                case '(', '[', '{' -> depth++;
                case ')', ']', '}' -> depth--;
                default -> {
                    if (depth == 0 && c == 'i' && expression.startsWith("if", i) && i > 0
                            && Character.isWhitespace(expression.charAt(i - 1)) && i + 2 < expression.length()
                            && (Character.isWhitespace(expression.charAt(i + 2)) || expression.charAt(i + 2) == '(')) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }
}
