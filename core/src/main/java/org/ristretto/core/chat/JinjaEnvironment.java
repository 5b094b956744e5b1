package org.ristretto.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.util.Properties;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * A Jinjava engine set up like the Jinja2 environment Hugging Face renders chat templates in
 * ({@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} plus {@code raise_exception},
 * {@code strftime_now} and its own {@code tojson}), with what Jinjava lacks filled in through its extension points:
 * a parser for slice steps and keyword arguments ({@link PythonicParser}), an EL resolver for Python string and
 * dict methods ({@link PythonMethodResolver}), and Python-compatible {@code tojson} and {@code trim} filters.
 */
final class JinjaEnvironment {
    private JinjaEnvironment() {}

    /** A new engine whose {@code strftime_now} reads {@code clock} in the clock's zone. */
    static Jinjava create(Clock clock) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withDateTimeProvider(clock::millis)
                .withTimeZone(clock.getZone())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build();
        Jinjava jinjava = new PythonicJinjava(config);
        jinjava.registerFunction(new ELFunctionDefinition(
                "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition(
                "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.registerFilter(new PythonFilters.ToJson());
        jinjava.registerFilter(new PythonFilters.Trim());
        return jinjava;
    }

    /** Jinjava with its expression parser replaced by {@link PythonicParser}. */
    private static final class PythonicJinjava extends Jinjava {
        private final ExpressionFactory expressionFactory = new PythonicExpressionFactory();

        PythonicJinjava(JinjavaConfig config) {
            super(config);
        }

        @Override
        public ExpressionFactory getExpressionFactory() {
            return expressionFactory;
        }
    }

    private static final class PythonicExpressionFactory extends ExpressionFactoryImpl {
        PythonicExpressionFactory() {
            super(new Properties(), new TruthyTypeConverter());
        }

        @Override
        protected TreeBuilder createTreeBuilder(Properties properties, Builder.Feature... features) {
            return new PythonicSyntaxBuilder(features);
        }
    }

    private static final class PythonicSyntaxBuilder extends ExtendedSyntaxBuilder {
        PythonicSyntaxBuilder(Builder.Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new PythonicParser(this, expression);
        }
    }
}
