package org.ristretto.core.concurrent;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Work started now on a thread of its own and collected later, so that loading a model keeps both cores of a small
 * machine busy (opening the backend beside reading the file, indexing BPE merges beside the vocabulary).
 *
 * @param <T> what the work returns
 */
public final class Background<T> {
    private final FutureTask<T> task;

    private Background(FutureTask<T> task) {
        this.task = task;
    }

    /** Starts {@code work} on a new daemon platform thread named {@code name}. */
    public static <T> Background<T> start(String name, Callable<T> work) {
        FutureTask<T> task = new FutureTask<>(work);
        Thread.ofPlatform().name(name).daemon().start(task);
        return new Background<>(task);
    }

    /**
     * What the work returned, once it has finished. What it threw is rethrown as it was when it is a
     * {@code checked} exception, a RuntimeException or an Error (anything else comes wrapped in an
     * IllegalStateException). An interrupt does not cut the wait short: the work is short and may hold resources
     * that nobody would release if it were abandoned; the thread's interrupt flag is set again on return.
     *
     * @param <X> the checked exception the work may throw
     */
    public <X extends Exception> T join(Class<X> checked) throws X {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (checked.isInstance(cause)) {
                        throw checked.cast(cause);
                    }
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException("background work failed: " + cause, cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
