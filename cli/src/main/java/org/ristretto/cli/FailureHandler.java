package org.ristretto.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * A command that failed: one line naming what went wrong, never a stack trace (unless {@code --verbose} was given to
 * a command that supports it), and exit code 1.
 */
final class FailureHandler implements CommandLine.IExecutionExceptionHandler {
    static final int FAILURE = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        cl.getErr().println("ristretto: " + describe(ex));
        if (parsed.hasMatchedOption("--verbose")) {
            ex.printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        return FAILURE;
    }

    /** A one-line description of a failure for people. */
    static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (ex instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (raise the JVM heap with JAVA_OPTS or use a smaller context)";
        }
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        } else if (ex instanceof IOException && !(ex.getClass() == IOException.class)) {
            msg = ex.getClass().getSimpleName() + ": " + msg;
        }
        return msg.replace('\n', ' ');
    }
}
