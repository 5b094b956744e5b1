package org.ristretto.core.chat;

import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.Scanner.Token;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/**
 * Jinjava's expression parser with two Jinja2 constructs it lacks, both used by published chat templates:
 * <ul>
 *   <li>a slice step, {@code messages[::-1]} and {@code xs[start::step]} (Qwen3's template walks the messages
 *       backwards this way). Jinjava parses {@code [start:stop]} only; a step together with an explicit stop,
 *       {@code [a:b:c]}, stays a syntax error, as its second colon cannot be told from the one in Jinjava's
 *       {@code a ? b : c};</li>
 *   <li>keyword arguments whose value is a whole expression: Jinjava parses {@code f(n=xs|length - 1)} as
 *       {@code (n=xs|length) - 1}, because its {@code =} operator binds like {@code +}.</li>
 * </ul>
 */
final class PythonicParser extends ExtendedParser {

    PythonicParser(Builder context, String input) {
        super(context, input);
    }

    /**
     * Arguments of a call, a list or a tuple. A {@code name=} prefix makes the rest of the argument, up to the next
     * comma, its value. A trailing comma is allowed, as in Python.
     */
    @Override
    protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
        consumeToken(left);
        List<AstNode> arguments = new ArrayList<>();
        AstNode argument = argument(false);
        if (argument != null) {
            arguments.add(argument);
            while (getToken().getSymbol() == Symbol.COMMA) {
                consumeToken();
                if (getToken().getSymbol() == right) {
                    break;
                }
                arguments.add(argument(true));
            }
        }
        consumeToken(right);
        return createAstParameters(arguments);
    }

    private AstNode argument(boolean required) throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.IDENTIFIER && "=".equals(lookahead(0).getImage())) {
            String name = consumeToken().getImage();
            consumeToken(); // '='
            return new AstNamedParameter(identifier(name), expr(true));
        }
        return expr(required);
    }

    /**
     * Recognises the two slice-with-step forms, {@code [::step]} and {@code [start::step]}: an expression can neither
     * start with {@code ::} nor be followed by it anywhere else in Jinja. Both yield a {@link SliceStep} in the
     * bracket's index position, which {@link #createAstBracket} turns into an {@link AstSteppedSlice}.
     */
    @Override
    protected AstNode expr(boolean required) throws ScanException, ParseException {
        if (atDoubleColon()) {
            return sliceStep(null);
        }
        AstNode v = super.expr(required);
        if (v != null && atDoubleColon()) {
            return sliceStep(v);
        }
        return v;
    }

    private boolean atDoubleColon() throws ScanException, ParseException {
        return isColon(getToken()) && isColon(lookahead(0));
    }

    private static boolean isColon(Token token) {
        return token.getSymbol() == Symbol.COLON && ":".equals(token.getImage());
    }

    private SliceStep sliceStep(AstNode start) throws ScanException, ParseException {
        consumeToken();
        consumeToken();
        return new SliceStep(start, expr(true));
    }

    @Override
    protected AstBracket createAstBracket(AstNode base, AstNode index, boolean lvalue, boolean strict) {
        if (index instanceof SliceStep slice) {
            return new AstSteppedSlice(base, slice.start, slice.step, lvalue, strict);
        }
        return super.createAstBracket(base, index, lvalue, strict);
    }

    /** {@code start::step}, only meaningful as the index of a bracket; {@code start} may be null. */
    static final class SliceStep extends AstRightValue {
        final AstNode start;
        final AstNode step;

        SliceStep(AstNode start, AstNode step) {
            this.start = start;
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            throw new ELException("'" + this + "' is only valid inside brackets, as in xs[::-1]");
        }

        @Override
        public void appendStructure(StringBuilder b, Bindings bindings) {
            if (start != null) {
                start.appendStructure(b, bindings);
            }
            b.append("::");
            step.appendStructure(b, bindings);
        }

        @Override
        public String toString() {
            return (start == null ? "" : start.toString()) + "::" + step;
        }

        @Override
        public int getCardinality() {
            return start == null ? 1 : 2;
        }

        @Override
        public AstNode getChild(int i) {
            if (start == null) {
                return i == 0 ? step : null;
            }
            return i == 0 ? start : i == 1 ? step : null;
        }
    }
}
