package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.client.WriteMode;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.nearcache.NearReads;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The bulk operations of {@link DataRouter}: many keys, one batch call per node. Writes go the two
 * steps of a single write, batched (one ordering batch per ordering owner, then one copy batch per
 * other owner); a key that did not go through cleanly continues as a single write
 * ({@link ReplicatedWrite}). Reads ask, per key, the first serving owner, failing over per node.
 * While the ring changes, each key goes the way a single operation then does. Calls to different
 * nodes run in parallel on virtual threads; the caller's thread waits (the bulk routes run on
 * Javalin's virtual threads).
 */
final class BulkRouter implements AutoCloseable {
    private final DataRouter router;
    private final ReplicatedRead reads;
    private final Membership membership;
    private final AuxClient client;
    private final HybridLogicalClock versions;
    private final InstantSource clock;
    private final int replicationFactor;
    private final MasterMetrics metrics;
    private final NearReads nearReads;
    private final ReplicatedWrite.Context writes;
    private final ExecutorService fanout = Executors.newVirtualThreadPerTaskExecutor();

    BulkRouter(DataRouter router, ReplicatedRead reads, Membership membership, AuxClient client,
               HybridLogicalClock versions, InstantSource clock, int replicationFactor, MasterMetrics metrics,
               NearReads nearReads, ReplicatedWrite.Context writes) {
        this.router = router;
        this.reads = reads;
        this.membership = membership;
        this.client = client;
        this.versions = versions;
        this.clock = clock;
        this.replicationFactor = replicationFactor;
        this.metrics = metrics;
        this.nearReads = nearReads;
        this.writes = writes;
    }

    /**
     * Stores many values, in the two steps of a single write, batched: each key's ordering owner
     * (its first serving owner) gets one ordering batch per node, then the keys it applied go to
     * their other owners in one batch per node, all in parallel. A key its ordering owner held newer
     * is written again as a single write (applied nowhere yet); one whose batch got no answer, or
     * whose copy failed, continues as a single write with its version. A repeated key: the last
     * item wins.
     *
     * @return how many distinct keys were acknowledged
     * @throws ApiException 503 when none was
     */
    int putAll(List<DataRouter.BulkItem> items) {
        ClusterView view = membership.view();
        long now = clock.millis();
        Map<String, DataRouter.BulkItem> last = new LinkedHashMap<>();
        for (DataRouter.BulkItem item : items) {
            last.remove(item.key()); // keeps the order of last occurrences
            last.put(item.key(), item);
        }
        if (!membership.routesAlone(view)) {
            // the ring changes: no ordering owner to batch for; each key as a single write does then
            List<CompletableFuture<ReplicatedWrite.Result>> each = new ArrayList<>(last.size());
            for (DataRouter.BulkItem item : last.values()) {
                each.add(ReplicatedWrite.startInTransition(writes, null, item.key(), item.value(),
                        expiresAt(item.ttlMillis(), now), router.transitionOwners(view, item.key())));
            }
            return acknowledged(each, last.keySet(), 0, items.isEmpty());
        }
        Map<String, List<NodeAddress>> ownersOf = new HashMap<>();
        Map<NodeAddress, List<Entry>> byOrderer = new LinkedHashMap<>();
        for (DataRouter.BulkItem item : last.values()) {
            List<NodeAddress> owners = router.owners(view, item.key()); // ring order, as single writes
            ownersOf.put(item.key(), owners);
            Entry e = new Entry(item.key(), item.value(), versions.next(), expiresAt(item.ttlMillis(), now));
            byOrderer.computeIfAbsent(owners.get(0), n -> new ArrayList<>()).add(e);
        }
        List<NodeAddress> orderers = new ArrayList<>(byOrderer.keySet());
        List<BatchPutOutcome> ordered = onEach(orderers,
                node -> client.putBatch(node, byOrderer.get(node), WriteMode.ORDERING));
        List<CompletableFuture<ReplicatedWrite.Result>> singles = new ArrayList<>();
        Map<NodeAddress, List<Entry>> copies = new LinkedHashMap<>();
        Map<String, NodeAddress> orderedBy = new HashMap<>();
        for (int i = 0; i < orderers.size(); i++) {
            NodeAddress orderer = orderers.get(i);
            BatchPutOutcome o = ordered.get(i);
            List<Entry> sent = byOrderer.get(orderer);
            if (o == null || o.superseded() == null || o.stale() > o.superseded().size()) {
                // no answer, or one that does not say which it refused: each key on its own, same version
                sent.forEach(e -> singles.add(ReplicatedWrite.resume(writes, e, ownersOf.get(e.key()))));
                continue;
            }
            Set<String> refused = new HashSet<>();
            o.superseded().forEach(kv -> refused.add(kv.key()));
            for (Entry e : sent) {
                if (refused.contains(e.key())) {
                    // applied nowhere: ordered again, above what the ordering owner holds
                    singles.add(ReplicatedWrite.start(writes, null, e.key(), e.value(), e.expiresAt(),
                            ownersOf.get(e.key())));
                } else {
                    orderedBy.put(e.key(), orderer);
                    for (NodeAddress other : ownersOf.get(e.key())) {
                        if (!other.equals(orderer)) {
                            copies.computeIfAbsent(other, n -> new ArrayList<>()).add(e);
                        }
                    }
                }
            }
        }
        Set<String> incomplete = new LinkedHashSet<>();
        List<NodeAddress> targets = new ArrayList<>(copies.keySet());
        List<BatchPutOutcome> copied = onEach(targets, node -> client.putBatch(node, copies.get(node)));
        for (int i = 0; i < targets.size(); i++) {
            if (copied.get(i) == null || copied.get(i).superseded() == null
                    || copied.get(i).stale() > copied.get(i).superseded().size()) {
                copies.get(targets.get(i)).forEach(e -> incomplete.add(e.key()));
            }
        }
        int stored = (int) orderedBy.keySet().stream().filter(k -> !incomplete.contains(k)).count();
        for (String key : incomplete) {
            DataRouter.BulkItem item = last.get(key);
            Entry e = byOrderer.get(orderedBy.get(key)).stream().filter(x -> x.key().equals(key)).findFirst()
                    .orElseThrow();
            singles.add(ReplicatedWrite.replicate(writes, e, ownersOf.get(item.key()), orderedBy.get(key)));
        }
        return acknowledged(singles, last.keySet(), stored, items.isEmpty());
    }

    /**
     * Waits for the single writes of a bulk write and counts the keys acknowledged, on top of
     * {@code stored} already; drops the near copies of every key written.
     *
     * @throws ApiException 503 when no key of a non-empty request was acknowledged
     */
    private int acknowledged(List<CompletableFuture<ReplicatedWrite.Result>> singles, java.util.Collection<String> keys,
                             int stored, boolean empty) {
        int count = stored;
        for (CompletableFuture<ReplicatedWrite.Result> f : singles) {
            try {
                DataRouter.await(f);
                count++;
            } catch (ApiException e) {
                // that key was not acknowledged; the others still count
            }
        }
        keys.forEach(nearReads::invalidate);
        if (count == 0 && !empty) {
            throw ApiException.unavailable("no replica could be reached");
        }
        return count;
    }

    private static long expiresAt(long ttlMillis, long now) {
        return ttlMillis == 0 ? 0 : now + ttlMillis;
    }

    /**
     * Reads many keys, one batch call per node, failing over per node to each key's next owner,
     * charging the bytes of every answer to {@code charge} as they are read; what {@code charge}
     * throws ends the read and is thrown here.
     *
     * @return found values by key; keys that no owner holds are absent
     */
    Map<String, Entry> getAll(List<String> keys, java.util.function.LongConsumer charge) {
        ClusterView view = membership.view();
        Map<String, Entry> found = new HashMap<>();
        if (!membership.routesAlone(view)) {
            return getAllNewest(view, keys, charge);
        }
        Map<String, List<NodeAddress>> ownersOf = new HashMap<>();
        for (String key : keys) {
            ownersOf.computeIfAbsent(key, k -> reads.preferServing(router.owners(view, k)));
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

    /** While data moves: each key from every owner, the newest answer (as a single read then does). */
    /**
     * {@link #getAll} while the ring changes: each key read from every owner under both rings, the
     * newest kept, {@link #NEWEST_WINDOW} keys at a time so that what is held in flight stays
     * bounded, and each kept record charged to {@code charge} before the next window.
     */
    private Map<String, Entry> getAllNewest(ClusterView view, List<String> keys, java.util.function.LongConsumer charge) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
        Map<String, Entry> found = new HashMap<>();
        boolean anyAnswer = false;
        ApiException last = null;
        for (int from = 0; from < distinct.size(); from += NEWEST_WINDOW) {
            Map<String, CompletableFuture<Entry>> reads = new LinkedHashMap<>();
            for (String key : distinct.subList(from, Math.min(distinct.size(), from + NEWEST_WINDOW))) {
                reads.put(key, Futures.started(() -> this.reads.fetchNewest(key, router.transitionOwners(view, key).all())));
            }
            for (Map.Entry<String, CompletableFuture<Entry>> r : reads.entrySet()) {
                Entry e;
                try {
                    e = DataRouter.await(r.getValue());
                    anyAnswer = true;
                } catch (ApiException failed) {
                    last = failed;
                    continue;
                }
                if (e != null) {
                    charge.accept(e.key().length() + (long) e.value().length()); // what it throws ends the read
                    found.put(r.getKey(), e);
                }
            }
        }
        if (!anyAnswer && last != null) {
            throw last;
        }
        return found;
    }

    /** Keys read at once by a bulk read while the ring changes (each from up to twice RF owners). */
    private static final int NEWEST_WINDOW = 8;

    @FunctionalInterface
    private interface NodeCall<T> {
        T call(NodeAddress node) throws AuxCallException;
    }

    /** Runs {@code call} on every node in parallel; a failed node's slot is null. */
    private <T> List<T> onEach(List<NodeAddress> nodes, NodeCall<T> call) {
        if (nodes.isEmpty()) {
            return List.of();
        }
        if (nodes.size() == 1) {
            return Collections.singletonList(attempt(nodes.get(0), call));
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

    private <T> T attempt(NodeAddress node, NodeCall<T> call) {
        try {
            T result = call.call(node);
            metrics.auxCall(node.id(), MasterMetrics.Outcome.OK);
            return result;
        } catch (AuxCallException e) {
            router.failed(e);
            return null;
        }
    }

    @Override
    public void close() {
        fanout.shutdownNow();
    }
}
