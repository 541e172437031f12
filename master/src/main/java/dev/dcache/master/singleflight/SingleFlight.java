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
 * Collapses concurrent calls for the same key, without ever answering a caller with a call that
 * started before it arrived. After groupcache's {@code singleflight}, with one change that keeps
 * reads linearizable.
 *
 * <h2>Design: callers share the next call, not the one in flight</h2>
 *
 * <p>The first caller for a key runs its call. Callers that arrive while it runs do not share its
 * answer: that call may have read the aux node before a write that was acknowledged after it
 * started and before they arrived, and handing them its answer would show them the older value
 * (a stale read). Instead they all wait for the <em>next</em> call, which the first of them
 * supplies and which starts as soon as the running one ends; callers arriving during that one wait
 * for the one after, and so on. So every answer comes from a call that started after its caller
 * arrived, and a hot key still costs at most one call in flight plus one waiting, whatever the
 * number of readers. The price: a caller that joins waits up to two calls instead of one.
 *
 * <p>A waiter waits at most {@code maxWait}; then it gets a {@link WaitTimeoutException}, while
 * the calls go on. {@link #forget} detaches the key's calls, so a caller arriving after it starts
 * a call of its own at once (used after a write through this master, so the reader that follows
 * does not wait); callers already waiting still get the call they were promised.
 *
 * <p>Thread-safe: each key's {@link Slot} is created, changed and removed inside
 * {@link ConcurrentHashMap#compute} on its key, so joining and retiring a slot never interleave;
 * calls are started outside it.
 *
 * @param <K> the key type
 * @param <V> the answer type; null answers are allowed
 */
public final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, Slot<V>> slots = new ConcurrentHashMap<>();
    private final Duration maxWait;
    private final LongAdder joined = new LongAdder();

    /** One key's calls: the one running, and the one its later callers wait for. Changed only in compute. */
    private static final class Slot<V> {
        CompletableFuture<V> running;
        CompletableFuture<V> next;
        Supplier<CompletableFuture<V>> nextCall;
    }

    /**
     * @param maxWait how long a caller waits for a call another caller started or supplied, > 0
     * @throws IllegalArgumentException when {@code maxWait} is not positive
     */
    public SingleFlight(Duration maxWait) {
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, was " + maxWait);
        }
        this.maxWait = maxWait;
    }

    /**
     * Runs {@code call} for {@code key}, or waits for the next run of the key's call.
     *
     * @throws WaitTimeoutException when the shared call did not answer within {@code maxWait}, or
     *                              this thread was interrupted while waiting
     * @throws RuntimeException     what the call threw, rethrown to every caller that waited for it
     */
    public V run(K key, Supplier<V> call) {
        return await(runAsync(key, () -> CompletableFuture.completedFuture(call.get())));
    }

    /**
     * {@link #run} for a call that answers with a future: a caller with no call running for the key
     * starts its own; one that arrives while a call runs shares the next call, started when the
     * running one completes. A sharer's future fails with {@link WaitTimeoutException} after
     * {@code maxWait}; the calls go on.
     *
     * @param call starts the call; what it throws is thrown to this caller when it starts it at once
     */
    public CompletableFuture<V> runAsync(K key, Supplier<CompletableFuture<V>> call) {
        @SuppressWarnings("unchecked")
        CompletableFuture<V>[] mine = new CompletableFuture[1];
        boolean[] lead = {false};
        Slot<V> slot = slots.compute(key, (k, s) -> {
            if (s == null) {
                s = new Slot<>();
                s.running = new CompletableFuture<>();
                mine[0] = s.running;
                lead[0] = true;
            } else {
                if (s.next == null) {
                    s.next = new CompletableFuture<>();
                    s.nextCall = call;
                }
                mine[0] = s.next;
            }
            return s;
        });
        if (lead[0]) {
            try {
                start(key, slot, call.get(), mine[0]);
            } catch (RuntimeException | Error e) {
                mine[0].completeExceptionally(e);
                advance(key, slot);
                throw e;
            }
            return mine[0];
        }
        joined.increment();
        CompletableFuture<V> shared = mine[0].copy().orTimeout(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        return shared.exceptionallyCompose(failure -> CompletableFuture.failedFuture(
                Futures.cause(failure) instanceof TimeoutException
                        ? new WaitTimeoutException("no answer from the shared call within " + maxWait.toMillis() + " ms")
                        : Futures.cause(failure)));
    }

    private void start(K key, Slot<V> slot, CompletableFuture<V> started, CompletableFuture<V> answer) {
        started.whenComplete((value, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(Futures.cause(failure));
            } else {
                answer.complete(value);
            }
            advance(key, slot);
        });
    }

    /** The running call of {@code slot} ended: start its next call, if callers wait for one, or retire it. */
    private void advance(K key, Slot<V> slot) {
        @SuppressWarnings("unchecked")
        CompletableFuture<V>[] next = new CompletableFuture[1];
        @SuppressWarnings("unchecked")
        Supplier<CompletableFuture<V>>[] nextCall = new Supplier[1];
        // inside compute, so that no caller joins the slot while it is retired; a slot forget() took out
        // of the map is no longer reachable by compute, and only its own calls' completions touch it
        slots.compute(key, (k, mapped) -> {
            next[0] = slot.next;
            nextCall[0] = slot.nextCall;
            slot.running = slot.next;
            slot.next = null;
            slot.nextCall = null;
            return mapped == slot && next[0] == null ? null : mapped;
        });
        if (next[0] == null) {
            return;
        }
        CompletableFuture<V> started;
        try {
            started = nextCall[0].get();
        } catch (RuntimeException | Error e) {
            started = CompletableFuture.failedFuture(e);
        }
        start(key, slot, started, next[0]);
    }

    /**
     * Detaches the calls for {@code key}, if any: a caller arriving later starts a fresh one. Callers
     * already waiting get the call they wait for.
     */
    public void forget(K key) {
        slots.remove(key);
    }

    /** Detaches every key's calls; later callers start new ones. */
    public void forgetAll() {
        slots.clear();
    }

    /** Callers that were answered by a call another caller started or supplied instead of starting their own. */
    public long joined() {
        return joined.sum();
    }

    /** Keys with a call under way (for tests). */
    int inFlight() {
        return slots.size();
    }

    private V await(CompletableFuture<V> call) {
        // bounded: a shared call's future times out after maxWait
        return Futures.await(call, () -> new WaitTimeoutException("interrupted while waiting for the shared call"));
    }

    /** A waiter gave up on a shared call. */
    public static final class WaitTimeoutException extends RuntimeException {
        WaitTimeoutException(String message) {
            super(message);
        }
    }
}
