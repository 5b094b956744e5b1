package org.ristretto.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Routes Ctrl-C (SIGINT) to an action instead of ending the JVM, for as long as an interactive command wants it.
 * Uses {@code sun.misc.Signal} (module jdk.unsupported), the JDK's only way to handle a signal without ending.
 */
final class InterruptSignal {
    private InterruptSignal() {
    }

    /**
     * Installs {@code onInterrupt} as the SIGINT handler and returns what restores the previous one. Where signals
     * cannot be handled (no such signal on this OS), nothing is installed and Ctrl-C keeps its default meaning.
     */
    static Runnable install(Runnable onInterrupt) {
        try {
            Signal sigint = new Signal("INT");
            SignalHandler previous = Signal.handle(sigint, s -> onInterrupt.run());
            return () -> {
                try {
                    Signal.handle(sigint, previous != null ? previous : SignalHandler.SIG_DFL);
                } catch (NullPointerException e) {
                    // When no Java handler was in place (a parent that started this process with SIGINT ignored,
                    // as build tools do for their forked test JVMs), the JDK hands back a wrapper around nothing,
                    // which it then refuses to reinstall ("handler"). The default action is the closest thing.
                    Signal.handle(sigint, SignalHandler.SIG_DFL);
                }
            };
        } catch (IllegalArgumentException e) {
            return () -> { };
        }
    }
}
