package dev.dcache.aux.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * Every meter an aux node exports beyond the shared HTTP and JVM ones, declared in one place. The
 * components are measured through the small reading interfaces declared here, which they implement
 * (this package imports none of them), or feed the meters they are given ({@link SnapshotMeters}).
 */
public final class AuxMetrics {
    private AuxMetrics() {
    }

    /** What the cache meters read ({@code cache.LruCache}): counts since start, and sizes now. */
    public interface CacheReadings {
        long hits();

        long misses();

        long puts();

        long deletes();

        long staleWrites();

        long rejectedWrites();

        long evictions();

        long expirations();

        /** Records held, tombstones included. */
        long size();

        /** Bytes accounted against the budget. */
        long bytes();

        long maxBytes();

        long maxEntries();
    }

    /** What the rebalance meters read ({@code cluster.Rebalancer}). */
    public interface RebalanceReadings {
        long runs();

        long keysMoved();

        long keysDropped();

        boolean running();

        boolean pending();

        long lastDurationMillis();
    }

    /** What the readiness meters read ({@code recovery.Readiness}). */
    public interface ReadinessReadings {
        boolean serving();

        boolean rebuilding();

        long latches();

        long recoveries();
    }

    /** What the anti-entropy meters read ({@code antientropy.AntiEntropy}). */
    public interface AntiEntropyReadings {
        long exchanges();

        long failures();

        long bucketsCompared();

        long bucketsDiffering();

        long pulled();

        long pushed();

        long dropped();
    }

    /** Binds the cache's counters and sizes. */
    public static void bind(MeterRegistry registry, CacheReadings cache) {
        counter(registry, "dcache.cache.hits", "Reads that found a live value", cache, CacheReadings::hits);
        counter(registry, "dcache.cache.misses", "Reads that found no live value", cache, CacheReadings::misses);
        counter(registry, "dcache.cache.puts", "Writes applied", cache, CacheReadings::puts);
        counter(registry, "dcache.cache.deletes", "Deletes applied (tombstones written)", cache, CacheReadings::deletes);
        counter(registry, "dcache.cache.stale.writes", "Writes ignored because a newer version was held", cache,
                CacheReadings::staleWrites);
        counter(registry, "dcache.cache.rejected.writes", "Writes refused because one record exceeded a segment's budget",
                cache, CacheReadings::rejectedWrites);
        counter(registry, "dcache.cache.evictions", "Records evicted to stay within the bounds", cache,
                CacheReadings::evictions);
        counter(registry, "dcache.cache.expirations", "Records removed because their TTL passed", cache,
                CacheReadings::expirations);
        Gauge.builder("dcache.cache.entries", cache, CacheReadings::size)
                .description("Records held, tombstones included").register(registry);
        Gauge.builder("dcache.cache.bytes", cache, CacheReadings::bytes).baseUnit("bytes")
                .description("Bytes accounted against the budget").register(registry);
        Gauge.builder("dcache.cache.max.bytes", cache, CacheReadings::maxBytes).baseUnit("bytes")
                .description("The configured byte budget").register(registry);
        Gauge.builder("dcache.cache.max.entries", cache, CacheReadings::maxEntries)
                .description("The configured record bound").register(registry);
    }

    /** Binds the rebalancer's progress. */
    public static void bindRebalance(MeterRegistry registry, RebalanceReadings rebalancer) {
        FunctionCounter.builder("dcache.rebalance.runs", rebalancer, RebalanceReadings::runs)
                .description("Rebalance passes completed on this node").register(registry);
        FunctionCounter.builder("dcache.rebalance.keys.moved", rebalancer, RebalanceReadings::keysMoved)
                .description("Records this node sent to their new owners").register(registry);
        FunctionCounter.builder("dcache.rebalance.keys.dropped", rebalancer, RebalanceReadings::keysDropped)
                .description("Records this node removed after their new owners took them").register(registry);
        Gauge.builder("dcache.rebalance.in.progress", rebalancer, r -> r.running() ? 1 : 0)
                .description("1 while a rebalance pass runs on this node").register(registry);
        Gauge.builder("dcache.rebalance.pending", rebalancer, r -> r.pending() ? 1 : 0)
                .description("1 while this node's data is not yet placed for the ring the masters agree on")
                .register(registry);
        Gauge.builder("dcache.rebalance.last.duration", rebalancer, r -> r.lastDurationMillis() / 1000.0)
                .baseUnit("seconds").description("Duration of the last completed rebalance pass").register(registry);
    }

    /** Binds whether the node serves reads, its catch-ups and the anti-entropy between co-owners. */
    public static void bindRecovery(MeterRegistry registry, ReadinessReadings readiness, AntiEntropyReadings antiEntropy) {
        Gauge.builder("dcache.recovery.serving", readiness, r -> r.serving() ? 1 : 0)
                .description("1 while the node answers reads; 0 while it catches up on writes it may have missed,"
                        + " or drains").register(registry);
        Gauge.builder("dcache.recovery.rebuilding", readiness, r -> r.rebuilding() ? 1 : 0)
                .description("1 while the node, back after more than half the tombstone TTL, keeps its records"
                        + " only once another owner confirms them").register(registry);
        FunctionCounter.builder("dcache.recovery.latches", readiness, ReadinessReadings::latches)
                .description("Times the node stopped serving reads to catch up (start, silence of every master,"
                        + " a master's fence), since start").register(registry);
        FunctionCounter.builder("dcache.recovery.completed", readiness, ReadinessReadings::recoveries)
                .description("Times the node caught up from its co-owners and served reads again").register(registry);
        FunctionCounter.builder("dcache.antientropy.exchanges", antiEntropy, AntiEntropyReadings::exchanges)
                .description("Comparisons with a co-owner completed (catch-ups and periodic runs)").register(registry);
        FunctionCounter.builder("dcache.antientropy.failures", antiEntropy, AntiEntropyReadings::failures)
                .description("Comparisons with a co-owner that failed (the peer did not answer)").register(registry);
        FunctionCounter.builder("dcache.antientropy.ranges.compared", antiEntropy, AntiEntropyReadings::bucketsCompared)
                .description("Ranges of the key hash space whose digests were compared with a co-owner")
                .register(registry);
        FunctionCounter.builder("dcache.antientropy.ranges.differing", antiEntropy, AntiEntropyReadings::bucketsDiffering)
                .description("Compared ranges whose digests differed").register(registry);
        String repaired = "dcache.antientropy.keys.repaired";
        String what = "Records repaired by comparing with co-owners: newer ones taken (pulled), ones a peer lacked or"
                + " held older sent (pushed), or dropped while rebuilding (no other owner holds the key)";
        FunctionCounter.builder(repaired, antiEntropy, AntiEntropyReadings::pulled).description(what)
                .tag("direction", "pulled").register(registry);
        FunctionCounter.builder(repaired, antiEntropy, AntiEntropyReadings::pushed).description(what)
                .tag("direction", "pushed").register(registry);
        FunctionCounter.builder(repaired, antiEntropy, AntiEntropyReadings::dropped).description(what)
                .tag("direction", "dropped").register(registry);
    }

    /** Registers the snapshot meters and returns them, for the snapshotter's listener to feed. */
    public static SnapshotMeters snapshots(MeterRegistry registry) {
        return new SnapshotMeters(registry);
    }

    /** The snapshot meters, fed by the snapshotter's reports ({@code snapshot.SnapshotListener#feeding}). */
    public static final class SnapshotMeters {
        private final Timer duration;
        private final Counter writes;
        private final Counter failures;
        private final Counter discarded;
        private final AtomicLong sizeBytes = new AtomicLong();
        private final AtomicLong lastSuccessMillis = new AtomicLong();
        private final AtomicLong restoredEntries = new AtomicLong();

        SnapshotMeters(MeterRegistry registry) {
            duration = Timer.builder("dcache.snapshot.duration")
                    .description("Time to write one snapshot: walk the cache, encode, fsync, rename")
                    .register(registry);
            writes = Counter.builder("dcache.snapshot.writes")
                    .description("Snapshots written").register(registry);
            failures = Counter.builder("dcache.snapshot.failures")
                    .description("Snapshot writes that failed; the previous snapshot was kept").register(registry);
            discarded = Counter.builder("dcache.snapshot.discarded")
                    .description("Snapshots found damaged or unreadable at start and moved aside").register(registry);
            Gauge.builder("dcache.snapshot.size", sizeBytes, AtomicLong::get).baseUnit("bytes")
                    .description("Size of the last snapshot written, or restored at start").register(registry);
            Gauge.builder("dcache.snapshot.last.success.time", lastSuccessMillis, m -> m.get() / 1000.0)
                    .baseUnit("seconds")
                    .description("Epoch seconds when the snapshot on disk last held everything in the cache: a write, "
                            + "or a check that found nothing changed; time() minus this is its age, 0 before the first")
                    .register(registry);
            Gauge.builder("dcache.snapshot.restored.entries", restoredEntries, AtomicLong::get)
                    .description("Records restored from the snapshot at start").register(registry);
        }

        /**
         * The start-up restore finished: {@code held} records kept; {@code bytes} is the snapshot's size
         * when it was restored, and a damaged snapshot moved aside is counted as discarded.
         */
        public void restored(long held, long bytes, boolean fromSnapshot, boolean discardedSnapshot) {
            restoredEntries.set(held);
            if (fromSnapshot) {
                sizeBytes.set(bytes);
            } else if (discardedSnapshot) {
                discarded.increment();
            }
        }

        /** A snapshot of {@code bytes} was committed at {@code atMillis} after {@code nanos}. */
        public void written(long nanos, long bytes, long atMillis) {
            duration.record(nanos, TimeUnit.NANOSECONDS);
            writes.increment();
            sizeBytes.set(bytes);
            lastSuccessMillis.set(atMillis);
        }

        /** A snapshot write failed. */
        public void failed(long nanos) {
            failures.increment();
        }

        /** The snapshot on disk was found to hold everything at {@code atMillis}. */
        public void upToDate(long atMillis) {
            lastSuccessMillis.set(atMillis);
        }
    }

    private static void counter(MeterRegistry registry, String name, String description, CacheReadings cache,
                                ToDoubleFunction<CacheReadings> f) {
        FunctionCounter.builder(name, cache, f).description(description).register(registry);
    }
}
