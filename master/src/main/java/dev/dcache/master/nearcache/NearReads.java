package dev.dcache.master.nearcache;

import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.singleflight.SingleFlight;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What a master tries before reading a key from the aux nodes: its {@link NearCache} (when
 * enabled), then joining a read of the same key already in flight (when coalescing is on). Writes
 * through the master call {@link #invalidate} once the owners have answered and before the client
 * is answered; that also queues the key for the other masters ({@link InvalidationPush}), whose
 * pushes arrive here through {@link #invalidatePushed}.
 *
 * <p>Coalescing keeps reads linearizable: a reader that arrives while a read of the key is in flight
 * shares the <em>next</em> read, started after it arrived (see {@link SingleFlight}), so it sees
 * every write acknowledged before it started, through any master. The near cache, when on, does
 * not: a copy may be served for up to its staleness bound after another master's write.
 */
public final class NearReads implements MasterMetrics.NearCacheReadings {
    private final NearCache cache;
    private final SingleFlight<String, Entry> flights;
    private final InvalidationPush push;

    /**
     * @param cache   the near cache, or null for none
     * @param flights the read coalescer, or null to send every miss to the aux nodes
     */
    public NearReads(NearCache cache, SingleFlight<String, Entry> flights) {
        this(cache, flights, null);
    }

    /**
     * @param cache   the near cache, or null for none
     * @param flights the read coalescer, or null to send every miss to the aux nodes
     * @param push    tells other masters the keys written here, or null to tell no one
     */
    public NearReads(NearCache cache, SingleFlight<String, Entry> flights, InvalidationPush push) {
        this.cache = cache;
        this.flights = flights;
        this.push = push;
    }

    /** Every read goes to the aux nodes: no near cache, no coalescing. */
    public static NearReads none() {
        return new NearReads(null, null);
    }

    /**
     * The entry for {@code key}: the near copy when fresh, else what {@code fetch} answers (shared
     * with concurrent readers of the same key when coalescing). Never blocks.
     *
     * @param fetch starts a read of the key from the aux nodes; its future answers null for absent
     * @return completes with the entry, or exceptionally with what the fetch failed with, or 503
     *         when a coalesced wait outlasts its bound
     * @throws ApiException what starting {@code fetch} throws
     */
    public CompletableFuture<Entry> getAsync(String key, Supplier<CompletableFuture<Entry>> fetch) {
        Supplier<CompletableFuture<Entry>> read = fetch;
        if (cache != null) {
            Entry near = cache.get(key);
            if (near != null) {
                return CompletableFuture.completedFuture(near);
            }
            // the ticket is taken by whoever actually reads, so the bound runs from that read's start
            read = () -> {
                NearCache.Ticket ticket = cache.ticket(key);
                return fetch.get().thenApply(e -> {
                    cache.offer(key, e, ticket);
                    return e;
                });
            };
        }
        if (flights == null) {
            return read.get();
        }
        return flights.runAsync(key, read).exceptionallyCompose(failure -> {
            Throwable cause = Futures.cause(failure);
            return CompletableFuture.failedFuture(cause instanceof SingleFlight.WaitTimeoutException timeout
                    ? ApiException.unavailable("read of the key in flight did not finish: " + timeout.getMessage())
                    : cause);
        });
    }

    /**
     * A write or delete of {@code key} through this master was acknowledged: drops the near copy,
     * detaches a read of it in flight, and queues the key for the other masters.
     */
    public void invalidate(String key) {
        drop(key);
        if (push != null) {
            push.publish(key);
        }
    }

    /** Another master pushed that it wrote {@code key}: drops the copy and detaches a read in flight. */
    public void invalidatePushed(String key) {
        drop(key);
    }

    /**
     * Writes through another master may have gone unheard: drops every copy and detaches every
     * read in flight. Tells no one.
     */
    public void invalidateEverything() {
        if (cache != null) {
            cache.invalidateAll();
        }
        if (flights != null) {
            flights.forgetAll();
        }
    }

    private void drop(String key) {
        if (cache != null) {
            cache.invalidate(key);
        }
        if (flights != null) {
            flights.forget(key);
        }
    }

    public boolean cacheEnabled() {
        return cache != null;
    }

    @Override
    public long hits() {
        return cache == null ? 0 : cache.hits();
    }

    @Override
    public long misses() {
        return cache == null ? 0 : cache.misses();
    }

    @Override
    public long evictions() {
        return cache == null ? 0 : cache.evictions();
    }

    @Override
    public long invalidations() {
        return cache == null ? 0 : cache.invalidations();
    }

    @Override
    public int entries() {
        return cache == null ? 0 : cache.size();
    }

    @Override
    public long bytes() {
        return cache == null ? 0 : cache.bytes();
    }

    /** Keys written here and delivered to a peer, once per peer; 0 without pushes. */
    @Override
    public long pushSent() {
        return push == null ? 0 : push.sent();
    }

    /** Keys written here that a peer did not accept, once per peer; 0 without pushes. */
    @Override
    public long pushFailed() {
        return push == null ? 0 : push.failed();
    }

    /** Keys written here that were not queued for the peers (queue full); 0 without pushes. */
    @Override
    public long pushDropped() {
        return push == null ? 0 : push.dropped();
    }

    /** Masters this one pushes its writes to; 0 without pushes. */
    @Override
    public int pushPeers() {
        return push == null ? 0 : push.peerCount();
    }

    @Override
    public long coalesced() {
        return flights == null ? 0 : flights.joined();
    }
}
