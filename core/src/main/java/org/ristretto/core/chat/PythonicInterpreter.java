package org.ristretto.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.util.Collection;
import java.util.Map;

/**
 * Jinjava's interpreter printing values the way Jinja2 does ({@link PythonRepr}): {@code {{ flag }}} gives
 * {@code True}, a float gives Python's repr, a list gives {@code ['a', 'b']}. Text prints as it is and an undefined
 * or None value prints as nothing (Jinjava cannot tell them apart; undefined is by far the common case).
 */
final class PythonicInterpreter extends JinjavaInterpreter {

    PythonicInterpreter(Jinjava application, Context context, JinjavaConfig config) {
        super(application, context, config);
    }

    PythonicInterpreter(JinjavaInterpreter parent) {
        super(parent);
    }

    @Override
    public String getAsString(Object value) {
        if (value instanceof Boolean || value instanceof Double || value instanceof Float || value instanceof Map<?, ?>
                || value instanceof Collection<?> || (value != null && value.getClass().isArray())) {
            return PythonRepr.str(value);
        }
        return super.getAsString(value);
    }

    /** Makes {@link PythonicInterpreter}s. */
    static final class Factory implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter parent) {
            return new PythonicInterpreter(parent);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PythonicInterpreter(application, context, config);
        }
    }
}
