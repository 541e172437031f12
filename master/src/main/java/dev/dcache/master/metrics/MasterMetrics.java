package dev.dcache.master.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Every meter a master exports beyond the shared HTTP and JVM ones, declared in one place. The
 * components record through the methods here ({@link #write}, {@link #auxCall}, ...) or are read
 * through the small reading interfaces declared here, which they implement: this package imports
 * none of them.
 */
public final class MasterMetrics {
    /** What the membership meters read ({@code membership.MembershipMeters}). */
    public interface MembershipReadings {
        /** The node state names, each a tag value of {@code dcache.cluster.nodes}. */
        java.util.List<String> nodeStates();

        /** Aux nodes known in one of {@link #nodeStates}. */
        long nodesIn(String state);

        /** Generation of the ring this master routes by. */
        long generation();

        long heartbeatFailures();

        long ejections();

        long readmissions();

        /** Aux nodes whose data is not yet placed for the agreed ring. */
        long rebalancingNodes();
    }

    /** What the near-cache meters read ({@code nearcache.NearReads}). */
    public interface NearCacheReadings {
        long hits();

        long misses();

        long evictions();

        long invalidations();

        int entries();

        long bytes();

        long coalesced();

        long pushSent();

        long pushFailed();

        long pushDropped();

        int pushPeers();
    }

    /** What the push-receiver meters read ({@code nearcache.PushReceiver}). */
    public interface PushReadings {
        long received();

        long flushes();
    }

    /** What the restore meters read ({@code backup.Restorer}). */
    public interface RestoreReadings {
        long runs();

        long restored();
    }

    /** What the fast-path meters read ({@code api.DataFastPath}). */
    public interface FastPathReadings {
        long served();

        long delegated();
    }

    /** What the stall meter reads ({@code stall.StallWatch}). */
    public interface StallReadings {
        long stalls();
    }

    /** Outcome tag values of {@code dcache.aux.calls}. */
    public enum Outcome { OK, TIMEOUT, REFUSED, IO, BAD_STATUS, FAILOVER, NOT_SERVING }

    /** What happened to a write on its way to the owners, the tag values of {@code dcache.write.events}. */
    public enum WriteEvent {
        /** An owner held a newer version: the write went again with a higher one. */
        CONFLICT,
        /** An owner did not answer and was asked again. */
        RETRY,
        /** An owner was left out of an acknowledged write: it was fenced. */
        OWNER_LEFT_OUT
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> auxCalls = new ConcurrentHashMap<>();
    private final Counter ringChanges;
    private final Counter readRepairs;
    private final Counter backups;
    private final java.util.EnumMap<WriteEvent, Counter> writeEvents = new java.util.EnumMap<>(WriteEvent.class);

    public MasterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.ringChanges = Counter.builder("dcache.ring.changes")
                .description("Times this master published a new ring").register(registry);
        this.backups = Counter.builder("dcache.backup.records")
                .description("Moved records appended to this master's backup").register(registry);
        this.readRepairs = Counter.builder("dcache.read.repairs")
                .description("Records written back to an owner that lacked them, found on a read").register(registry);
        for (WriteEvent e : WriteEvent.values()) {
            writeEvents.put(e, Counter.builder("dcache.write.events")
                    .description("Writes and deletes on their way to the owners: version conflicts (written again with a"
                            + " higher version), retries of an owner that did not answer, owners left out (fenced)")
                    .tag("event", e.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
    }

    /** Counts one event of a write on its way to the owners. */
    public void write(WriteEvent event) {
        writeEvents.get(event).increment();
    }

    /** Binds the count of aux nodes this master's heartbeats tell they may be written without. */
    public void bindFencedNodes(java.util.function.LongSupplier fenced) {
        Gauge.builder("dcache.fenced.nodes", fenced, f -> f.getAsLong())
                .description("Aux nodes this master may write without (fenced, off its ring, or back on it for less"
                        + " than a write deadline); they serve no reads until it says otherwise").register(registry);
    }

    /** Counts records appended to the backup. */
    public void backedUp(long records) {
        backups.increment(records);
    }

    /** Binds the restorer's counts. */
    public void bindRestorer(RestoreReadings restorer) {
        FunctionCounter.builder("dcache.restore.runs", restorer, RestoreReadings::runs)
                .description("Times this master restored the backup into an empty cluster").register(registry);
        FunctionCounter.builder("dcache.restore.records", restorer, RestoreReadings::restored)
                .description("Records this master restored from the backup").register(registry);
    }

    /** Binds the counts of the data fast path: requests it served, requests it passed to Javalin. */
    public void bindFastPath(FastPathReadings fast) {
        String name = "dcache.fast.path.requests";
        String what = "HTTP requests by who answered them: the data fast path, or Javalin (other routes, and data"
                + " requests passed on)";
        FunctionCounter.builder(name, fast, FastPathReadings::served).description(what)
                .tag("handler", "fast").register(registry);
        FunctionCounter.builder(name, fast, FastPathReadings::delegated).description(what)
                .tag("handler", "javalin").register(registry);
    }

    /** Binds the count of this master's own stalls (see {@code stall.StallWatch}). */
    public void bindStallWatch(StallReadings watch) {
        FunctionCounter.builder("dcache.stalls", watch, StallReadings::stalls)
                .description("Times this master found it had not run for over 300 ms (paused, a long GC, a stuck"
                        + " host); writes nginx gave up on meanwhile are refused (dcache_admission_shed_total"
                        + "{reason=\"stale\"})")
                .register(registry);
    }

    /** Counts one read repair. */
    public void readRepair() {
        readRepairs.increment();
    }

    /** Binds gauges that read the live membership; {@link #ringChanged} counts its ring changes. */
    public void bindMembership(MembershipReadings membership) {
        for (String state : membership.nodeStates()) {
            Gauge.builder("dcache.cluster.nodes", membership, m -> m.nodesIn(state))
                    .description("Aux nodes known to this master, by state")
                    .tag("state", state)
                    .register(registry);
        }
        Gauge.builder("dcache.ring.generation", membership, MembershipReadings::generation)
                .description("Generation of the ring this master routes by").register(registry);
        FunctionCounter.builder("dcache.health.failures", membership, MembershipReadings::heartbeatFailures)
                .description("Failed heartbeats and failed calls counted against aux nodes").register(registry);
        FunctionCounter.builder("dcache.node.ejections", membership, MembershipReadings::ejections)
                .description("Times an aux node was taken off the ring").register(registry);
        FunctionCounter.builder("dcache.node.readmissions", membership, MembershipReadings::readmissions)
                .description("Times an aux node was put back on the ring").register(registry);
        Gauge.builder("dcache.cluster.rebalancing.nodes", membership, MembershipReadings::rebalancingNodes)
                .description("Aux nodes whose data is not yet placed for the agreed ring, as of their last heartbeat")
                .register(registry);
    }

    /** Binds the near cache and read coalescing meters; they read 0 when the feature is off. */
    public void bindNearReads(NearCacheReadings reads) {
        FunctionCounter.builder("dcache.nearcache.hits", reads, NearCacheReadings::hits)
                .description("Reads answered from this master's near cache").register(registry);
        FunctionCounter.builder("dcache.nearcache.misses", reads, NearCacheReadings::misses)
                .description("Reads the near cache could not answer (absent, stale or expired)").register(registry);
        FunctionCounter.builder("dcache.nearcache.evictions", reads, NearCacheReadings::evictions)
                .description("Fresh near-cache copies dropped to stay within the entry or byte bound")
                .register(registry);
        FunctionCounter.builder("dcache.nearcache.invalidations", reads, NearCacheReadings::invalidations)
                .description("Near-cache copies dropped by a write or delete, through this master or pushed by another")
                .register(registry);
        Gauge.builder("dcache.nearcache.entries", reads, NearCacheReadings::entries)
                .description("Hot keys held in the near cache").register(registry);
        Gauge.builder("dcache.nearcache.bytes", reads, NearCacheReadings::bytes)
                .description("Estimated heap bytes of the near-cache copies").baseUnit("bytes").register(registry);
        FunctionCounter.builder("dcache.reads.coalesced", reads, NearCacheReadings::coalesced)
                .description("Reads answered by another read of the same key already in flight to an aux node")
                .register(registry);
        String pushed = "dcache.nearcache.push.keys";
        String what = "Keys written through this master for the other masters' near caches: sent or failed"
                + " (counted once per peer), or dropped (not queued: the queue was full)";
        FunctionCounter.builder(pushed, reads, NearCacheReadings::pushSent).description(what).tag("outcome", "sent")
                .register(registry);
        FunctionCounter.builder(pushed, reads, NearCacheReadings::pushFailed).description(what).tag("outcome", "failed")
                .register(registry);
        FunctionCounter.builder(pushed, reads, NearCacheReadings::pushDropped).description(what).tag("outcome", "dropped")
                .register(registry);
        Gauge.builder("dcache.nearcache.push.peers", reads, NearCacheReadings::pushPeers)
                .description("Other masters with a near cache this master pushes its writes to").register(registry);
    }

    /** What this master takes from other masters' pushes. */
    public void bindPushReceiver(PushReadings receiver) {
        FunctionCounter.builder("dcache.nearcache.push.received", receiver, PushReadings::received)
                .description("Keys other masters pushed here as written (each drops this master's copy)")
                .register(registry);
        FunctionCounter.builder("dcache.nearcache.push.flushes", receiver, PushReadings::flushes)
                .description("Times this master dropped its whole near cache because a push from another master"
                        + " may have been lost (a gap in its numbers, a new sender, or a sender gone silent)")
                .register(registry);
    }

    /** Counts one new ring published by this master. */
    public void ringChanged() {
        ringChanges.increment();
    }

    /** Counts one outbound call to an aux node. */
    public void auxCall(String nodeId, Outcome outcome) {
        String k = nodeId + '|' + outcome;
        Counter c = auxCalls.get(k);
        if (c == null) {
            c = auxCalls.computeIfAbsent(k, x -> Counter.builder("dcache.aux.calls")
                    .description("Calls from this master to aux nodes, by target node and outcome")
                    .tag("target", nodeId)
                    .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry));
        }
        c.increment();
    }
}
