package org.ristretto.cli;

import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Turns option values that fail validation into usage errors (one line, exit code 2). */
final class Usage {
    private Usage() {
    }

    /** Runs {@code check}; an {@link IllegalArgumentException} becomes a picocli parameter error. */
    static <T> T check(CommandSpec spec, Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
