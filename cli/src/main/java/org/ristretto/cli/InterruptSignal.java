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
            // The JDK reports no previous handler when the one in place is not Java's (a parent that started this
            // process with SIGINT ignored, for one): the default action is then the closest thing to restore.
            return () -> Signal.handle(sigint, previous != null ? previous : SignalHandler.SIG_DFL);
        } catch (IllegalArgumentException e) {
            return () -> { };
        }
    }
}
