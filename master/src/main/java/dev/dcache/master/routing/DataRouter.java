package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.nearcache.NearReads;

import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Routes validated client operations to the aux nodes that own each key, with replication. Each
 * key is a linearizable register as long as at most RF-1 of its owners fail (docs/consistency.md).
 *
 * <ul>
 *   <li>Writes and deletes go first to the key's first serving owner, which orders them (a version
 *   below what it holds is refused, and the write is ordered again above it), then to the other
 *   owners in parallel ({@link ReplicatedWrite}); they are acknowledged once every owner has them,
 *   an owner being left out only once {@link Fences} has fenced it (it then refuses reads until
 *   it has caught up).</li>
 *   <li>Reads ({@link ReplicatedRead}) ask one owner: the first in ring order that serves reads (owners catching up or
 *   draining, and suspects, last). An owner that holds nothing for the key passes the read on; one
 *   that does not serve is skipped. While data moves between nodes they ask every owner and take
 *   the newest.</li>
 *   <li>Bulk writes go the same two steps in batches: one ordering batch per ordering owner, then
 *   one batch per other owner; a key that did not go through cleanly continues as a single write.
 *   Bulk reads ask, per key, the first serving owner ({@link BulkRouter}).</li>
 * </ul>
 * Every failed call is reported to {@link Membership} as passive health evidence. Single reads go
 * through {@link NearReads} (near cache, coalescing); writes invalidate it before they answer.
 */
public final class DataRouter implements AutoCloseable {
    private final Membership membership;
    private final InstantSource clock;
    private final int replicationFactor;
    private final MasterMetrics metrics;
    private final NearReads nearReads;
    private final ReplicatedWrite.Context writes;
    private final ReplicatedRead reads;
    private final BulkRouter bulk;

    /** The write deadline of routers built without one: two request timeouts past the default fence wait. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofMillis(6250);

    /** A router whose every read goes to the aux nodes (no near cache, no coalescing). */
    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics) {
        this(membership, client, versions, clock, replicationFactor, metrics, NearReads.none());
    }

    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics, NearReads nearReads) {
        this(membership, client, versions, clock, replicationFactor, metrics, nearReads, DEFAULT_WRITE_TIMEOUT);
    }

    /**
     * @param writeTimeout how long a write may wait for an owner that does not answer to be fenced
     *                     (then it is left out) before it fails with 503
     */
    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics, NearReads nearReads, Duration writeTimeout) {
        this(membership, client, versions, clock, replicationFactor, metrics, nearReads, writeTimeout,
                ReplicatedWrite.Stalls.NONE);
    }

    /**
     * @param stallCount this master's stalls so far ({@code StallWatch#stalls})
     * @param stalledNow whether it is in one, or just out of one not yet counted
     */
    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics, NearReads nearReads, Duration writeTimeout,
                      java.util.function.LongSupplier stallCount, java.util.function.BooleanSupplier stalledNow) {
        this(membership, client, versions, clock, replicationFactor, metrics, nearReads, writeTimeout,
                new ReplicatedWrite.Stalls() {
                    @Override
                    public long count() {
                        return stallCount.getAsLong();
                    }

                    @Override
                    public boolean now() {
                        return stalledNow.getAsBoolean();
                    }
                });
    }

    private DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                       int replicationFactor, MasterMetrics metrics, NearReads nearReads, Duration writeTimeout,
                       ReplicatedWrite.Stalls stalls) {
        this.membership = membership;
        this.clock = clock;
        this.replicationFactor = replicationFactor;
        this.metrics = metrics;
        this.nearReads = nearReads;
        this.writes = new ReplicatedWrite.Context(client, versions, membership.fences(), this::failed,
                new ReplicatedWrite.Listener() {
                    @Override
                    public void conflict() {
                        metrics.write(MasterMetrics.WriteEvent.CONFLICT);
                    }

                    @Override
                    public void retry() {
                        metrics.write(MasterMetrics.WriteEvent.RETRY);
                    }

                    @Override
                    public void leftOut() {
                        metrics.write(MasterMetrics.WriteEvent.OWNER_LEFT_OUT);
                    }
                }, writeTimeout.toNanos(), stalls);
        this.reads = new ReplicatedRead(membership, client, versions, metrics, this::failed);
        this.bulk = new BulkRouter(this, reads, membership, client, versions, clock, replicationFactor, metrics,
                nearReads, writes);
    }

    /**
     * The live entry for {@code key}, or null when it is absent or deleted: this master's near copy
     * when it has a fresh one, else {@link #fetch}, shared with concurrent reads of the key. The
     * future completes (on the thread that receives the aux node's reply) with the entry or null,
     * or exceptionally with an {@link ApiException}; it never throws. Never blocks: the calls it
     * starts put frames on the wire and return.
     */
    public CompletableFuture<Entry> getAsync(String key) {
        return Futures.started(() -> nearReads.getAsync(key, () -> fetch(key)));
    }

    /**
     * Reads {@code key} from the owners of one {@link ClusterView} ({@link ReplicatedRead}): while
     * the ring changes, every owner under both rings at once, the newest record winning; else one
     * owner at a time, those that serve reads first.
     */
    private CompletableFuture<Entry> fetch(String key) {
        ClusterView view = membership.view();
        if (!membership.routesAlone(view)) {
            return reads.fetchNewest(key, transitionOwners(view, key).all());
        }
        return reads.fetchInTurn(key, owners(view, key));
    }

    /**
     * Stores a value on every owner; see {@link #getAsync} for how the future completes.
     *
     * @param ttlMillis time to live, 0 for none
     * @return the version written and how many owners stored it
     */
    public CompletableFuture<WriteResult> putAsync(String key, String value, long ttlMillis) {
        return putAsync(key, value, ttlMillis, null);
    }

    /**
     * {@link #putAsync} for a client request: the same request id again (a retry through any master)
     * takes effect once, as long as the key's ordering owner is the same.
     *
     * @param requestId the client request's id ({@code X-Request-Id}), or null
     */
    public CompletableFuture<WriteResult> putAsync(String key, String value, long ttlMillis, String requestId) {
        return Futures.started(() -> startPut(key, value, ttlMillis, requestId));
    }

    private CompletableFuture<WriteResult> startPut(String key, String value, long ttlMillis, String requestId) {
        long expiresAt = ttlMillis == 0 ? 0 : clock.millis() + ttlMillis;
        return write(key, value, expiresAt, requestId).thenApply(r -> new WriteResult(r.version(), r.replicas()));
    }

    /** Writes {@code value} (null: a tombstone) to every owner; near copies are dropped whatever the outcome. */
    private CompletableFuture<ReplicatedWrite.Result> write(String key, String value, long expiresAt, String requestId) {
        ClusterView view = membership.view();
        // plain ring order: every master must pick the same ordering owner (see ReplicatedWrite)
        CompletableFuture<ReplicatedWrite.Result> written = membership.routesAlone(view)
                ? ReplicatedWrite.start(writes, requestId, key, value, expiresAt, owners(view, key))
                : ReplicatedWrite.startInTransition(writes, requestId, key, value, expiresAt, transitionOwners(view, key));
        return written.whenComplete((r, failure) -> {
            // the owners have answered; before ours: read-your-writes through this master, even for a
            // failed write that some owner may have applied
            nearReads.invalidate(key);
        });
    }

    /**
     * Writes a tombstone on every owner; see {@link #getAsync} for how the future completes.
     *
     * @return true when some owner held a live value
     */
    public CompletableFuture<Boolean> deleteAsync(String key) {
        return deleteAsync(key, null);
    }

    /**
     * {@link #deleteAsync} for a client request: a retry of it through any master answers as the
     * first try did; see {@link #putAsync(String, String, long, String)}.
     */
    public CompletableFuture<Boolean> deleteAsync(String key, String requestId) {
        return Futures.started(() -> write(key, null, 0, requestId).thenApply(ReplicatedWrite.Result::existed));
    }

    /**
     * Stores many values, in the two steps of a single write, batched ({@link BulkRouter#putAll}).
     *
     * @return how many distinct keys were acknowledged
     * @throws ApiException 503 when none was
     */
    public int putAll(List<BulkItem> items) {
        return bulk.putAll(items);
    }

    /**
     * Reads many keys, one batch call per node, failing over per node to each key's next owner.
     *
     * @return found values by key; keys that no owner holds are absent
     */
    public Map<String, Entry> getAll(List<String> keys) {
        return bulk.getAll(keys, bytes -> { });
    }

    /**
     * {@link #getAll(List)}, charging the bytes of every answer to {@code charge} as they are read
     * (see {@link AuxClient#getBatch(NodeAddress, List, java.util.function.LongConsumer)}); what
     * {@code charge} throws ends the read and is thrown here.
     */
    public Map<String, Entry> getAll(List<String> keys, java.util.function.LongConsumer charge) {
        return bulk.getAll(keys, charge);
    }

    /**
     * A key's owners while the ring changes: under the last settled ring (in its ring order, as a
     * master still routing by it orders a write), then those only the newest ring has; and the
     * newest ring's owners in its ring order. See {@link ReplicatedWrite#startInTransition}.
     */
    ReplicatedWrite.Owners transitionOwners(ClusterView view, String key) {
        List<NodeAddress> newest = owners(view, key);
        ClusterView before = membership.lastSettled();
        if (before == null || before.ring().fingerprint().equals(view.ring().fingerprint())) {
            return new ReplicatedWrite.Owners(newest, newest);
        }
        Map<String, NodeAddress> all = new LinkedHashMap<>(); // by id, in the order above
        before.owners(key, replicationFactor).forEach(a -> all.putIfAbsent(a.id(), view.members().getOrDefault(a.id(), a)));
        newest.forEach(a -> all.putIfAbsent(a.id(), a));
        return new ReplicatedWrite.Owners(List.copyOf(all.values()), newest);
    }

    List<NodeAddress> owners(ClusterView view, String key) {
        if (view.ring().isEmpty()) {
            throw ApiException.unavailable(view.members().isEmpty()
                    ? "no aux nodes are configured" : "no aux node is up");
        }
        return view.owners(key, replicationFactor);
    }

    /** Waits for an operation started here; its ApiException or bug surfaces unwrapped. */
    static <T> T await(CompletableFuture<T> operation) {
        return Futures.await(operation, () -> ApiException.unavailable("interrupted")); // bounded: every aux call in it is
    }

    void failed(AuxCallException e) {
        metrics.auxCall(e.nodeId(), MasterMetrics.Outcome.valueOf(e.kind().name()));
        if (e.kind() == AuxCallException.Kind.NOT_SERVING) {
            membership.reportNotServing(e.nodeId()); // it answered: not a health failure
        } else {
            membership.reportCallFailure(e.nodeId(), e.kind());
        }
    }

    @Override
    public void close() {
        bulk.close();
    }

    /** A validated bulk write item. */
    public record BulkItem(String key, String value, long ttlMillis) {
    }

    /** The outcome of a single write. */
    public record WriteResult(long version, int replicas) {
    }
}
