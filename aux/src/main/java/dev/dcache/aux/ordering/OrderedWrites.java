package dev.dcache.aux.ordering;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The writes this node ordered (as the key's first serving owner) for a client request id,
 * remembered for a while, so that the same request ordered again applies nothing and gets the
 * first outcome back: a delete nginx retried on another master after the first one timed out still
 * answers whether the key existed, and a write is never applied with two versions.
 *
 * <p>Only ordering writes with a request id are remembered, and only once applied (a write refused
 * for a newer version applied nothing; its master orders it again, above). An entry lives for
 * {@code remember} or until {@code maxEntries} newer ones pushed it out, whichever comes first:
 * long enough for any retry of a request (nginx's and the masters' timeouts are seconds).
 *
 * <p>An answer that is not a replay says how far back this memory is complete
 * ({@link PutOutcome#rememberedMillis}): since the node started, within {@code remember}, and
 * after the newest outcome {@code maxEntries} pushed out. A master whose earlier try of a request
 * got no answer learns from it that the try was not applied here, if it was sent within that time:
 * it was either applied, and then remembered, or it arrives later to find a newer version (a key's
 * version only grows) or this request's outcome, and applies nothing.
 *
 * <p>Thread-safe: each (request, key) is looked up and, when new, applied inside
 * {@link ConcurrentHashMap#compute}, so two tries of one request arriving at once on two
 * connections apply once. The cache's segment lock is taken inside it; nothing takes them in the
 * other order.
 */
public final class OrderedWrites {
    private final LruCache cache;
    private final LongSupplier nanos;
    private final long rememberNanos;
    private final int maxEntries;
    private final ConcurrentHashMap<String, Remembered> byRequest = new ConcurrentHashMap<>();
    /** Insertion order, for expiry: oldest first. */
    private final ConcurrentLinkedQueue<Aged> order = new ConcurrentLinkedQueue<>();
    private final LongAdder replays = new LongAdder();
    private final long startNanos;
    /** When the newest outcome that {@code maxEntries} pushed out (not its age) was remembered. */
    private final java.util.concurrent.atomic.AtomicLong forgottenUpTo;

    private record Remembered(long version, boolean existed, long atNanos) {
    }

    private record Aged(String id, Remembered outcome) {
    }

    /**
     * @param remember   how long a request's outcome is kept
     * @param maxEntries the most outcomes kept
     */
    public OrderedWrites(LruCache cache, LongSupplier nanos, Duration remember, int maxEntries) {
        this.cache = cache;
        this.nanos = nanos;
        this.rememberNanos = remember.toNanos();
        this.maxEntries = maxEntries;
        this.startNanos = nanos.getAsLong();
        this.forgottenUpTo = new java.util.concurrent.atomic.AtomicLong(startNanos);
    }

    /** Applies an ordering put; the same request and key again answers the first outcome as a replay. */
    public PutOutcome put(Entry entry, String requestId) {
        if (requestId == null) {
            return cache.put(entry);
        }
        PutOutcome[] out = new PutOutcome[1];
        remember(requestId, entry.key(), () -> {
            out[0] = cache.put(entry);
            return out[0].applied() ? new Remembered(entry.version(), false, nanos.getAsLong()) : null;
        }, r -> out[0] = PutOutcome.replayed(r.version()));
        return out[0].replayed() ? out[0] : out[0].remembering(rememberedMillis());
    }

    /** Applies an ordering delete; the same request and key again answers the first outcome as a replay. */
    public DeleteOutcome delete(String key, long version, String requestId) {
        if (requestId == null) {
            return cache.deleteAt(key, version);
        }
        DeleteOutcome[] out = new DeleteOutcome[1];
        remember(requestId, key, () -> {
            out[0] = cache.deleteAt(key, version);
            return out[0].version() == version ? new Remembered(version, out[0].existed(), nanos.getAsLong()) : null;
        }, r -> out[0] = new DeleteOutcome(r.existed(), r.version(), true));
        return out[0].replayed() ? out[0] : out[0].remembering(rememberedMillis());
    }

    /** Ordering writes answered from memory instead of applied again, since start. */
    public long replays() {
        return replays.sum();
    }

    /**
     * How far back, in milliseconds, every applied ordering write is remembered: the time since the
     * newest outcome pushed out by count, or since start, at most {@code remember}. Taken after a
     * write was looked up: an outcome pushed out before that lookup moved {@code forgottenUpTo}
     * before it left the map, so the figure holds for the lookup.
     */
    long rememberedMillis() {
        long now = nanos.getAsLong();
        long span = Math.min(rememberNanos, now - Math.max(startNanos, forgottenUpTo.get()));
        return Math.max(0, span / 1_000_000);
    }

    private void remember(String requestId, String key, java.util.function.Supplier<Remembered> apply,
                          java.util.function.Consumer<Remembered> replay) {
        expire();
        String id = requestId + '\u0000' + key;
        Remembered[] fresh = {null};
        byRequest.compute(id, (k, old) -> {
            if (old != null && nanos.getAsLong() - old.atNanos() < rememberNanos) {
                replay.accept(old);
                replays.increment();
                return old;
            }
            fresh[0] = apply.get();
            return fresh[0];
        });
        if (fresh[0] != null) {
            order.add(new Aged(id, fresh[0]));
        }
    }

    private void expire() {
        long now = nanos.getAsLong();
        for (Aged head = order.peek(); head != null
                && (now - head.outcome().atNanos() >= rememberNanos || byRequest.size() > maxEntries);
             head = order.peek()) {
            if (order.poll() == head) {
                long at = head.outcome().atNanos();
                if (now - at < rememberNanos) { // pushed out young: memory is shorter (said before it goes)
                    forgottenUpTo.accumulateAndGet(at, (a, b) -> b - a > 0 ? b : a);
                }
                byRequest.remove(head.id(), head.outcome()); // not a newer outcome of the same request
            }
        }
    }
}
