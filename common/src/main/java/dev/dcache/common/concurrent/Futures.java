package dev.dcache.common.concurrent;

import java.util.concurrent.CompletionException;

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
}
