package dev.dcache.aux.metrics;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.cluster.Rebalancer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.ToDoubleFunction;

/** Every meter an aux node exports beyond the shared HTTP and JVM ones, declared in one place. */
public final class AuxMetrics {
    private AuxMetrics() {
    }

    /** Binds the cache's counters and sizes. */
    public static void bind(MeterRegistry registry, LruCache cache) {
        counter(registry, "dcache.cache.hits", "Reads that found a live value", cache, c -> c.stats().hits());
        counter(registry, "dcache.cache.misses", "Reads that found no live value", cache, c -> c.stats().misses());
        counter(registry, "dcache.cache.puts", "Writes applied", cache, c -> c.stats().puts());
        counter(registry, "dcache.cache.deletes", "Deletes applied (tombstones written)", cache, c -> c.stats().deletes());
        counter(registry, "dcache.cache.stale.writes", "Writes ignored because a newer version was held", cache,
                c -> c.stats().staleWrites());
        counter(registry, "dcache.cache.rejected.writes", "Writes refused because one record exceeded a segment's budget",
                cache, c -> c.stats().rejectedWrites());
        counter(registry, "dcache.cache.evictions", "Records evicted to stay within the bounds", cache,
                c -> c.stats().evictions());
        counter(registry, "dcache.cache.expirations", "Records removed because their TTL passed", cache,
                c -> c.stats().expirations());
        Gauge.builder("dcache.cache.entries", cache, LruCache::size)
                .description("Records held, tombstones included").register(registry);
        Gauge.builder("dcache.cache.bytes", cache, LruCache::bytes).baseUnit("bytes")
                .description("Bytes accounted against the budget").register(registry);
        Gauge.builder("dcache.cache.max.bytes", cache, LruCache::maxBytes).baseUnit("bytes")
                .description("The configured byte budget").register(registry);
        Gauge.builder("dcache.cache.max.entries", cache, LruCache::maxEntries)
                .description("The configured record bound").register(registry);
    }

    /** Binds the rebalancer's progress. */
    public static void bindRebalance(MeterRegistry registry, Rebalancer rebalancer) {
        FunctionCounter.builder("dcache.rebalance.runs", rebalancer, r -> r.status().runs())
                .description("Rebalance passes completed on this node").register(registry);
        FunctionCounter.builder("dcache.rebalance.keys.moved", rebalancer, r -> r.status().keysMoved())
                .description("Records this node sent to their new owners").register(registry);
        FunctionCounter.builder("dcache.rebalance.keys.dropped", rebalancer, r -> r.status().keysDropped())
                .description("Records this node removed after their new owners took them").register(registry);
        Gauge.builder("dcache.rebalance.in.progress", rebalancer, r -> r.running() ? 1 : 0)
                .description("1 while a rebalance pass runs on this node").register(registry);
        Gauge.builder("dcache.rebalance.pending", rebalancer, r -> r.pending() ? 1 : 0)
                .description("1 while this node's data is not yet placed for the ring the masters agree on")
                .register(registry);
        Gauge.builder("dcache.rebalance.last.duration", rebalancer, r -> r.status().lastDurationMillis() / 1000.0)
                .baseUnit("seconds").description("Duration of the last completed rebalance pass").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, LruCache cache,
                                ToDoubleFunction<LruCache> f) {
        FunctionCounter.builder(name, cache, f).description(description).register(registry);
    }
}
