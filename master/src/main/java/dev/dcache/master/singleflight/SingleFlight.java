package dev.dcache.master.singleflight;

import dev.dcache.common.concurrent.Futures;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Collapses concurrent calls for the same key into one: the first caller runs the call, callers
 * that arrive while it runs wait for its answer (or its exception) instead of running their own.
 * After in the manner of groupcache's {@code singleflight}.
 *
 * <p>A waiter waits at most {@code maxWait}; then it gets a {@link WaitTimeoutException}, while
 * the call itself goes on and still answers the caller that runs it.
 *
 * <p>{@link #forget} detaches the call under way from its key, so that callers arriving later start
 * a fresh call: used when the key was just written and an answer read before the write must not be
 * handed to a reader that came after it. Callers already waiting still get the old call's answer.
 *
 * <p>Thread-safe: the map of calls is a {@link ConcurrentHashMap}; a call removes itself with
 * {@code remove(key, call)}, so it never removes a newer call for the same key.
 *
 * @param <K> the key type
 * @param <V> the answer type; null answers are allowed
 */
public final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, CompletableFuture<V>> calls = new ConcurrentHashMap<>();
    private final Duration maxWait;
    private final LongAdder joined = new LongAdder();

    /**
     * @param maxWait how long a caller waits for another caller's call, > 0
     * @throws IllegalArgumentException when {@code maxWait} is not positive
     */
    public SingleFlight(Duration maxWait) {
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, was " + maxWait);
        }
        this.maxWait = maxWait;
    }

    /**
     * Runs {@code call} for {@code key}, or waits for the run of it already under way.
     *
     * @throws WaitTimeoutException when another caller's call did not answer within {@code maxWait},
     *                              or this thread was interrupted while waiting
     * @throws RuntimeException     what the call threw, rethrown to every caller that waited for it
     */
    public V run(K key, Supplier<V> call) {
        return await(runAsync(key, () -> CompletableFuture.completedFuture(call.get())));
    }

    /**
     * {@link #run} for a call that answers with a future: the first caller starts it, callers that
     * arrive before it completes share its answer. A sharer's future fails with
     * {@link WaitTimeoutException} after {@code maxWait}; the call goes on for its starter.
     *
     * @param call starts the call; what it throws is thrown to this caller
     */
    public CompletableFuture<V> runAsync(K key, Supplier<CompletableFuture<V>> call) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> current = calls.putIfAbsent(key, mine);
        if (current != null) {
            joined.increment();
            CompletableFuture<V> shared = current.copy().orTimeout(maxWait.toNanos(), TimeUnit.NANOSECONDS);
            return shared.exceptionallyCompose(failure -> CompletableFuture.failedFuture(
                    Futures.cause(failure) instanceof TimeoutException
                            ? new WaitTimeoutException("no answer from the call in flight within " + maxWait.toMillis() + " ms")
                            : Futures.cause(failure)));
        }
        CompletableFuture<V> started;
        try {
            started = call.get();
        } catch (RuntimeException | Error e) {
            calls.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        started.whenComplete((answer, failure) -> {
            calls.remove(key, mine);
            if (failure != null) {
                mine.completeExceptionally(Futures.cause(failure));
            } else {
                mine.complete(answer);
            }
        });
        return mine;
    }

    /** Detaches the call under way for {@code key}, if any; later callers start a new one. */
    public void forget(K key) {
        calls.remove(key);
    }

    /** Detaches every call under way; later callers start new ones. */
    public void forgetAll() {
        calls.clear();
    }

    /** Callers that were answered by another caller's call instead of running their own. */
    public long joined() {
        return joined.sum();
    }

    /** Calls under way (for tests). */
    int inFlight() {
        return calls.size();
    }

    private V await(CompletableFuture<V> call) {
        // bounded: a shared call's future times out after maxWait
        return Futures.await(call, () -> new WaitTimeoutException("interrupted while waiting for the call in flight"));
    }

    /** A waiter gave up on another caller's call. */
    public static final class WaitTimeoutException extends RuntimeException {
        WaitTimeoutException(String message) {
            super(message);
        }
    }
}
