package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.http.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.master.cluster.ClusterView;
import dev.dcache.master.cluster.Membership;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.nearcache.NearReads;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Routes validated client operations to the aux nodes that own each key, with replication.
 *
 * <ul>
 *   <li>Writes and deletes get a fresh version from the master's hybrid logical clock and go to
 *   all RF owners in parallel; they succeed when every reachable owner applied them and fail
 *   with 503 when none could be reached.</li>
 *   <li>Reads ask the primary and fail over, in ring order, to the next owner on a connection
 *   error, timeout or bad answer.</li>
 *   <li>Bulk operations are grouped per node: one internal batch call per node, in parallel.</li>
 * </ul>
 * Every failed call is reported to {@link Membership} as passive health evidence. Single reads go
 * through {@link NearReads} (near cache, coalescing); writes invalidate it before they answer.
 */
public final class DataRouter implements AutoCloseable {
    private final Membership membership;
    private final AuxClient client;
    private final HybridLogicalClock versions;
    private final InstantSource clock;
    private final int replicationFactor;
    private final MasterMetrics metrics;
    private final ExecutorService fanout = Executors.newVirtualThreadPerTaskExecutor();
    private final NearReads nearReads;

    /** A router whose every read goes to the aux nodes (no near cache, no coalescing). */
    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics) {
        this(membership, client, versions, clock, replicationFactor, metrics, NearReads.none());
    }

    public DataRouter(Membership membership, AuxClient client, HybridLogicalClock versions, InstantSource clock,
                      int replicationFactor, MasterMetrics metrics, NearReads nearReads) {
        this.membership = membership;
        this.client = client;
        this.versions = versions;
        this.clock = clock;
        this.replicationFactor = replicationFactor;
        this.metrics = metrics;
        this.nearReads = nearReads;
    }

    /**
     * The live entry for {@code key}, or null when it is absent or deleted: this master's near copy
     * when it has a fresh one, else {@link #fetch}, shared with concurrent reads of the key.
     */
    public Entry get(String key) {
        return await(getAsync(key));
    }

    /**
     * {@link #get} without holding the caller's thread: the future completes (on the thread that
     * receives the aux node's reply) with the entry or null, or exceptionally with an
     * {@link ApiException}; it never throws. Never blocks: the calls it starts put frames on the
     * wire and return.
     */
    public CompletableFuture<Entry> getAsync(String key) {
        return Futures.started(() -> nearReads.getAsync(key, () -> fetch(key)));
    }

    /**
     * Reads {@code key} from its owners.
     *
     * <p>Asks the owners in ring order (suspect nodes last). An owner that answers with a value or
     * a tombstone decides. An owner that holds nothing for the key (it was down, or is new on the
     * ring and not yet filled) sends the read on to the next owner; when a later owner has the
     * record, it is written back to the owners that lacked it (read repair).
     */
    private CompletableFuture<Entry> fetch(String key) {
        ClusterView view = membership.view();
        if (!membership.settled(view)) {
            return fetchNewest(key, owners(view, key));
        }
        return askInTurn(key, preferHealthy(owners(view, key)), 0, null, false);
    }

    /** Asks {@code owners[i]}, and on no answer or no record the owners after it. */
    private CompletableFuture<Entry> askInTurn(String key, List<NodeAddress> owners, int i,
                                               List<NodeAddress> lacking, boolean answered) {
        if (i == owners.size()) {
            return answered ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(ApiException.unavailable("no replica of the key could be reached"));
        }
        NodeAddress node = owners.get(i);
        return client.startGet(node, key).handle((e, failure) -> {
            if (failure != null) {
                failed(auxFailure(failure));
                return askInTurn(key, owners, i + 1, lacking, answered);
            }
            metrics.auxCall(node.id(), i == 0 ? MasterMetrics.Outcome.OK : MasterMetrics.Outcome.FAILOVER);
            if (e != null) {
                if (lacking != null) {
                    repair(lacking, e);
                }
                return CompletableFuture.completedFuture(e.isTombstone() ? null : e);
            }
            List<NodeAddress> without = lacking == null ? new ArrayList<>(owners.size()) : lacking;
            without.add(node);
            return askInTurn(key, owners, i + 1, without, true);
        }).thenCompose(f -> f);
    }

    /**
     * While data is moving (some node not yet placed for this ring: one just re-admitted with an
     * old snapshot, one just added), the primary may hold an older version than another owner:
     * ask every owner at once, answer with the newest record, and write it back to the owners
     * that had an older one or none.
     */
    private CompletableFuture<Entry> fetchNewest(String key, List<NodeAddress> owners) {
        // every owner, suspects included: a suspect may be the one holding the newest version
        return onEachStarted(owners, node -> client.startGet(node, key).thenApply(e -> new Entry[]{e}))
                .thenApply(answers -> {
                    if (answers.stream().allMatch(java.util.Objects::isNull)) {
                        throw ApiException.unavailable("no replica of the key could be reached");
                    }
                    Entry newest = newest(answers);
                    if (newest != null) {
                        List<NodeAddress> behind = new ArrayList<>();
                        for (int i = 0; i < owners.size(); i++) {
                            Entry[] a = answers.get(i);
                            if (a != null && (a[0] == null || a[0].version() < newest.version())) {
                                behind.add(owners.get(i));
                            }
                        }
                        repair(behind, newest);
                    }
                    return newest == null || newest.isTombstone() ? null : newest;
                });
    }

    /** The highest-versioned record among the answers (a failed call is null), or null. */
    private static Entry newest(List<Entry[]> answers) {
        Entry newest = null;
        for (Entry[] a : answers) {
            if (a != null && a[0] != null && (newest == null || a[0].version() > newest.version())) {
                newest = a[0];
            }
        }
        return newest;
    }

    private List<NodeAddress> preferHealthy(List<NodeAddress> owners) {
        if (owners.size() < 2 || owners.stream().noneMatch(n -> membership.isSuspect(n.id()))) {
            return owners;
        }
        List<NodeAddress> ordered = new ArrayList<>(owners.size());
        owners.stream().filter(n -> !membership.isSuspect(n.id())).forEach(ordered::add);
        owners.stream().filter(n -> membership.isSuspect(n.id())).forEach(ordered::add);
        return ordered;
    }

    private void repair(List<NodeAddress> lacking, Entry record) {
        for (NodeAddress node : lacking) {
            client.startPut(node, record).whenComplete((outcome, failure) -> {
                if (failure != null) {
                    failed(auxFailure(failure));
                } else {
                    metrics.readRepair();
                }
            });
        }
    }

    /**
     * Stores a value on every owner.
     *
     * @param ttlMillis time to live, 0 for none
     * @return the version written and how many owners stored it
     */
    public WriteResult put(String key, String value, long ttlMillis) {
        return await(putAsync(key, value, ttlMillis));
    }

    /** {@link #put} without holding the caller's thread; see {@link #getAsync}. */
    public CompletableFuture<WriteResult> putAsync(String key, String value, long ttlMillis) {
        return Futures.started(() -> startPut(key, value, ttlMillis));
    }

    private CompletableFuture<WriteResult> startPut(String key, String value, long ttlMillis) {
        long version = versions.next();
        long expiresAt = ttlMillis == 0 ? 0 : clock.millis() + ttlMillis;
        Entry entry = new Entry(key, value, version, expiresAt);
        List<NodeAddress> owners = owners(membership.view(), key);
        return onEachStarted(owners, node -> client.startPut(node, entry)).thenApply(outcomes -> {
            nearReads.invalidate(key); // the owners have answered; before ours: read-your-writes through this master
            int stored = 0;
            for (PutOutcome o : outcomes) {
                if (o != null && (o.applied() || o.version() >= version)) {
                    stored++;
                } else if (o != null && o.version() < 0) {
                    throw ApiException.tooLarge("value exceeds an aux node's byte budget");
                }
            }
            if (stored == 0) {
                throw ApiException.unavailable("no replica of the key could be reached");
            }
            return new WriteResult(version, stored);
        });
    }

    /**
     * Writes a tombstone on every owner.
     *
     * @return true when some owner held a live value
     */
    public boolean delete(String key) {
        return await(deleteAsync(key));
    }

    /** {@link #delete} without holding the caller's thread; see {@link #getAsync}. */
    public CompletableFuture<Boolean> deleteAsync(String key) {
        return Futures.started(() -> startDelete(key));
    }

    private CompletableFuture<Boolean> startDelete(String key) {
        long version = versions.next();
        List<NodeAddress> owners = owners(membership.view(), key);
        return onEachStarted(owners, node -> client.startDelete(node, key, version)).thenApply(outcomes -> {
            nearReads.invalidate(key);
            boolean reached = false;
            boolean existed = false;
            for (DeleteOutcome o : outcomes) {
                if (o != null) {
                    reached = true;
                    existed |= o.existed();
                }
            }
            if (!reached) {
                throw ApiException.unavailable("no replica of the key could be reached");
            }
            return existed;
        });
    }

    /** Stores many values, one batch call per node; returns how many entries reached at least one owner. */
    public int putAll(List<BulkItem> items) {
        ClusterView view = membership.view();
        long now = clock.millis();
        Map<NodeAddress, List<Entry>> perNode = new LinkedHashMap<>();
        Map<String, Integer> indexOfKey = new HashMap<>();
        List<Entry> entries = new ArrayList<>(items.size());
        for (BulkItem item : items) {
            Entry e = new Entry(item.key(), item.value(), versions.next(),
                    item.ttlMillis() == 0 ? 0 : now + item.ttlMillis());
            indexOfKey.put(item.key(), entries.size()); // a repeated key: the later item wins (higher version)
            entries.add(e);
            for (NodeAddress node : owners(view, item.key())) {
                perNode.computeIfAbsent(node, n -> new ArrayList<>()).add(e);
            }
        }
        List<NodeAddress> nodes = new ArrayList<>(perNode.keySet());
        List<Object> outcomes = onEach(nodes, node -> client.putBatch(node, perNode.get(node)));
        indexOfKey.keySet().forEach(nearReads::invalidate);
        boolean[] stored = new boolean[entries.size()];
        for (int i = 0; i < nodes.size(); i++) {
            if (outcomes.get(i) != null) {
                for (Entry e : perNode.get(nodes.get(i))) {
                    stored[indexOfKey.get(e.key())] = true;
                }
            }
        }
        int count = 0;
        for (int i = 0; i < stored.length; i++) {
            if (stored[i] && indexOfKey.get(entries.get(i).key()) == i) {
                count++;
            }
        }
        if (count == 0 && !items.isEmpty()) {
            throw ApiException.unavailable("no replica could be reached");
        }
        return count;
    }

    /**
     * Reads many keys, one batch call per node, failing over per node to each key's next owner.
     *
     * @return found values by key; keys that no owner holds are absent
     */
    public Map<String, Entry> getAll(List<String> keys) {
        return getAll(keys, bytes -> { });
    }

    /**
     * {@link #getAll(List)}, charging the bytes of every answer to {@code charge} as they are read
     * (see {@link AuxClient#getBatch(NodeAddress, List, java.util.function.LongConsumer)}); what
     * {@code charge} throws ends the read and is thrown here.
     */
    public Map<String, Entry> getAll(List<String> keys, java.util.function.LongConsumer charge) {
        ClusterView view = membership.view();
        Map<String, Entry> found = new HashMap<>();
        Map<String, List<NodeAddress>> ownersOf = new HashMap<>();
        for (String key : keys) {
            ownersOf.computeIfAbsent(key, k -> owners(view, k));
        }
        Map<String, Integer> attempt = new HashMap<>();
        List<String> pending = new ArrayList<>(ownersOf.keySet());
        boolean anyAnswer = false;
        for (int round = 0; round < replicationFactor && !pending.isEmpty(); round++) {
            Map<NodeAddress, List<String>> perNode = new LinkedHashMap<>();
            for (String key : pending) {
                List<NodeAddress> owners = ownersOf.get(key);
                int a = attempt.getOrDefault(key, 0);
                if (a < owners.size()) {
                    perNode.computeIfAbsent(owners.get(a), n -> new ArrayList<>()).add(key);
                }
            }
            if (perNode.isEmpty()) {
                break; // every pending key has run out of owners (fewer up than the replication factor)
            }
            List<NodeAddress> nodes = new ArrayList<>(perNode.keySet());
            List<List<Entry>> answers = onEach(nodes, node -> client.getBatch(node, perNode.get(node), charge));
            List<String> retry = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                List<Entry> got = answers.get(i);
                if (got == null) {
                    for (String key : perNode.get(nodes.get(i))) {
                        attempt.merge(key, 1, Integer::sum);
                        retry.add(key);
                    }
                } else {
                    anyAnswer = true;
                    for (Entry e : got) {
                        found.put(e.key(), e);
                    }
                }
            }
            pending = retry;
        }
        if (!anyAnswer && !keys.isEmpty()) {
            throw ApiException.unavailable("no replica could be reached");
        }
        return found;
    }

    private List<NodeAddress> owners(ClusterView view, String key) {
        if (view.ring().isEmpty()) {
            throw ApiException.unavailable(view.members().isEmpty()
                    ? "no aux nodes are configured" : "no aux node is up");
        }
        return view.owners(key, replicationFactor);
    }

    @FunctionalInterface
    private interface NodeCall<T> {
        T call(NodeAddress node) throws AuxCallException;
    }

    /** Runs {@code call} on every node in parallel; a failed node's slot is null. */
    private <T> List<T> onEach(List<NodeAddress> nodes, NodeCall<T> call) {
        if (nodes.size() == 1) {
            return java.util.Collections.singletonList(attempt(nodes.get(0), call));
        }
        List<Future<T>> futures = new ArrayList<>(nodes.size());
        for (int i = 1; i < nodes.size(); i++) {
            NodeAddress node = nodes.get(i);
            futures.add(fanout.submit((Callable<T>) () -> attempt(node, call)));
        }
        List<T> results = new ArrayList<>(nodes.size());
        results.add(attempt(nodes.get(0), call)); // the first on this thread
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                results.add(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.unavailable("interrupted");
            }
        }
        return results;
    }

    /**
     * Sends a single-key call to every node before waiting for any (the binary client pipelines
     * them, so no thread is spent per call); completes when all have answered or failed, with a
     * failed node's slot null.
     */
    private <T> CompletableFuture<List<T>> onEachStarted(List<NodeAddress> nodes,
                                                         Function<NodeAddress, CompletableFuture<T>> start) {
        @SuppressWarnings("unchecked")
        CompletableFuture<T>[] started = new CompletableFuture[nodes.size()];
        for (int i = 0; i < started.length; i++) {
            NodeAddress node = nodes.get(i);
            started[i] = start.apply(node).handle((answer, failure) -> {
                if (failure != null) {
                    failed(auxFailure(failure));
                    return null;
                }
                metrics.auxCall(node.id(), MasterMetrics.Outcome.OK);
                return answer;
            });
        }
        return CompletableFuture.allOf(started).thenApply(done -> {
            List<T> results = new ArrayList<>(started.length);
            for (CompletableFuture<T> f : started) {
                results.add(f.join()); // done, and never exceptional after handle()
            }
            return results;
        });
    }

    /** The AuxCallException behind a failed call's future; anything else is a bug and rethrown. */
    private static AuxCallException auxFailure(Throwable failure) {
        Throwable cause = Futures.cause(failure);
        if (cause instanceof AuxCallException a) {
            return a;
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        throw new IllegalStateException(cause);
    }

    /** Waits for an operation started here; its ApiException or bug surfaces unwrapped. */
    private static <T> T await(CompletableFuture<T> operation) {
        return Futures.await(operation, () -> ApiException.unavailable("interrupted")); // bounded: every aux call in it is
    }

    private <T> T attempt(NodeAddress node, NodeCall<T> call) {
        try {
            T result = call.call(node);
            metrics.auxCall(node.id(), MasterMetrics.Outcome.OK);
            return result;
        } catch (AuxCallException e) {
            failed(e);
            return null;
        }
    }

    private void failed(AuxCallException e) {
        metrics.auxCall(e.nodeId(), MasterMetrics.Outcome.valueOf(e.kind().name()));
        membership.reportCallFailure(e.nodeId(), e.kind());
    }

    @Override
    public void close() {
        fanout.shutdownNow();
    }

    /** A validated bulk write item. */
    public record BulkItem(String key, String value, long ttlMillis) {
    }

    /** The outcome of a single write. */
    public record WriteResult(long version, int replicas) {
    }
}
