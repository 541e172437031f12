package dev.dcache.common.concurrent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Helpers for the {@link java.util.concurrent.CompletableFuture}s of the asynchronous data path. */
public final class Futures {
    private Futures() {
    }

    /**
     * What a stage failed with: a dependent stage sees its source's failure wrapped in a
     * {@link CompletionException}, which carries no meaning of its own.
     */
    public static Throwable cause(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /**
     * Starts an operation; what starting it throws becomes the returned future's failure, so a
     * caller has one place to look for every outcome.
     */
    public static <T> CompletableFuture<T> started(Supplier<CompletableFuture<T>> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Waits for {@code future} (the caller makes sure it completes in bounded time) and gives its
     * result. A {@link RuntimeException} or {@link Error} it failed with is rethrown as it is; any
     * other cause, wrapped in an {@link IllegalStateException}.
     *
     * @param interrupted what to throw, with the thread's interrupt flag set again, when the wait
     *                    is interrupted
     */
    public static <T> T await(CompletableFuture<T> future, Supplier<? extends RuntimeException> interrupted) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted.get();
        }
    }
}
