package dev.dcache.master;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.client.WriteMode;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.ReadReply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** In-memory aux nodes: apply by version like the real ones; any node can be made to fail. */
public final class FakeAuxClient implements AuxClient {
    public final Map<String, Map<String, Entry>> stores = new ConcurrentHashMap<>();
    /** Nodes that do not answer at all (paused, cut off): every call times out. */
    public final Set<String> down = ConcurrentHashMap.newKeySet();
    /** Nodes whose process is gone: every call is refused (nothing listens on the port). */
    public final Set<String> refused = ConcurrentHashMap.newKeySet();
    public final Set<String> draining = ConcurrentHashMap.newKeySet();
    /** Nodes whose data calls fail while their heartbeats succeed (a broken data connection). */
    public final Set<String> dataDown = ConcurrentHashMap.newKeySet();
    /** Nodes that answer reads as not serving (catching up) and say so in heartbeat replies. */
    public final Set<String> notServing = ConcurrentHashMap.newKeySet();
    /** Whether the nodes report their data placed for the ring they are told (rebalancing done). */
    public volatile boolean placed = true;
    /** The token these nodes prove they know; null for none. */
    public volatile String token;
    /** What every node lists as masters with a near cache in its heartbeat replies. */
    public volatile List<NodeAddress> nearCacheMasters = List.of();
    /** The last heartbeat each node received, by node id. */
    public final Map<String, Heartbeat> heartbeats = new ConcurrentHashMap<>();
    public final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

    public Map<String, Entry> store(String id) {
        return stores.computeIfAbsent(id, k -> new ConcurrentHashMap<>());
    }

    private void reach(NodeAddress n) throws AuxCallException {
        calls.add(n.id());
        if (refused.contains(n.id())) {
            throw new AuxCallException(n.id(), AuxCallException.Kind.REFUSED, "connection refused", null);
        }
        if (down.contains(n.id()) || dataDown.contains(n.id())) {
            throw new AuxCallException(n.id(), AuxCallException.Kind.TIMEOUT, "down", null);
        }
    }

    private boolean apply(String node, Entry e) {
        Entry[] applied = {null};
        store(node).compute(e.key(), (k, old) -> old == null || old.version() < e.version() ? (applied[0] = e) : old);
        return applied[0] != null;
    }

    @Override
    public ReadReply read(NodeAddress node, String key) throws AuxCallException {
        reach(node);
        return notServing.contains(node.id()) ? ReadReply.NOT_SERVING : ReadReply.of(store(node.id()).get(key));
    }

    /** Outcomes of ordering deletes with a request id, by node, request and key: a retry replays it. */
    private final Map<String, DeleteOutcome> orderedDeletes = new ConcurrentHashMap<>();

    /**
     * When set, an ordering write waits here before it is applied: what a master paused between
     * taking a write's version and sending it looks like to the node.
     */
    public volatile java.util.concurrent.CountDownLatch orderingGate;

    /** An ordering write to a node that does not serve is refused, as the real ones do. */
    private void order(NodeAddress n, WriteMode mode) throws AuxCallException {
        java.util.concurrent.CountDownLatch gate = orderingGate;
        if (mode.ordering() && gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (mode.ordering() && notServing.contains(n.id())) {
            throw new AuxCallException(n.id(), AuxCallException.Kind.NOT_SERVING, "not serving", null);
        }
    }

    /** Ordering puts to a node (by id) that time out before they are applied, one per count. */
    public final Map<String, java.util.concurrent.atomic.AtomicInteger> droppedOrderings = new ConcurrentHashMap<>();
    /** Ordering puts to a node (by id) that are applied, then time out (the answer is lost), one per count. */
    public final Map<String, java.util.concurrent.atomic.AtomicInteger> lostOrderingReplies = new ConcurrentHashMap<>();
    /** Runs with the record of each dropped or unanswered ordering put: what else happened meanwhile. */
    public volatile java.util.function.Consumer<Entry> meanwhile = e -> { };
    /** What a node's answer to an ordering put with a request id says it remembers, in ms (the real: up to 60 s). */
    public volatile long rememberedMillis;
    /** Versions of ordering puts applied with a request id, by node, request and key: a retry replays it. */
    private final Map<String, Long> orderedPuts = new ConcurrentHashMap<>();

    private static boolean take(Map<String, java.util.concurrent.atomic.AtomicInteger> counts, String node) {
        java.util.concurrent.atomic.AtomicInteger n = counts.get(node);
        return n != null && n.getAndUpdate(c -> Math.max(0, c - 1)) > 0;
    }

    /** Runs before each ordering put is applied, with the node's id and the record: what another master did just then. */
    public volatile java.util.function.BiConsumer<String, Entry> beforeOrdering = (node, e) -> { };

    @Override
    public PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException {
        reach(node);
        order(node, mode);
        if (mode.ordering()) {
            beforeOrdering.accept(node.id(), entry);
        }
        String id = mode.ordering() && mode.requestId() != null ? node.id() + '|' + mode.requestId() + '|' + entry.key() : null;
        if (id != null && take(droppedOrderings, node.id())) {
            meanwhile.accept(entry);
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "dropped", null);
        }
        Long before = id == null ? null : orderedPuts.get(id);
        if (before != null) {
            return PutOutcome.replayed(before);
        }
        boolean ok = apply(node.id(), entry);
        if (ok && id != null) {
            orderedPuts.put(id, entry.version());
        }
        if (id != null && take(lostOrderingReplies, node.id())) {
            meanwhile.accept(entry);
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "answer lost", null);
        }
        long held = store(node.id()).get(entry.key()).version();
        return (ok ? PutOutcome.applied(held) : PutOutcome.superseded(held)).remembering(id == null ? 0 : rememberedMillis);
    }

    @Override
    public DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException {
        reach(node);
        order(node, mode);
        String id = mode.requestId() == null ? null : node.id() + '|' + mode.requestId() + '|' + key;
        if (id != null && mode.ordering() && take(droppedOrderings, node.id())) {
            meanwhile.accept(new Entry(key, null, version, 0));
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "dropped", null);
        }
        DeleteOutcome before = id == null ? null : orderedDeletes.get(id);
        if (before != null) {
            return new DeleteOutcome(before.existed(), before.version(), true);
        }
        DeleteOutcome done = applyDelete(node, key, version);
        if (id != null && done.version() == version) {
            orderedDeletes.put(id, done);
        }
        return done;
    }

    private DeleteOutcome applyDelete(NodeAddress node, String key, long version) {
        Entry old = store(node.id()).get(key);
        boolean applied = apply(node.id(), new Entry(key, null, version, 0));
        return new DeleteOutcome(applied && old != null && !old.isTombstone(), store(node.id()).get(key).version());
    }

    @Override
    public List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException {
        reach(node);
        return keys.stream().map(store(node.id())::get).filter(e -> e != null && !e.isTombstone()).toList();
    }

    @Override
    public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
        reach(node);
        order(node, mode);
        int applied = 0;
        List<KeyVersion> superseded = new ArrayList<>();
        for (Entry e : entries) {
            if (apply(node.id(), e)) {
                applied++;
            } else if (store(node.id()).get(e.key()).version() > e.version()) {
                superseded.add(new KeyVersion(e.key(), store(node.id()).get(e.key()).version()));
            }
        }
        return new BatchPutOutcome(applied, entries.size() - applied, superseded);
    }

    @Override
    public List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public NodeHealth health(NodeAddress node) throws AuxCallException {
        reach(node);
        return new NodeHealth("up", node.id(), "aux", 0);
    }

    @Override
    public HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException {
        calls.add(node.id());
        if (refused.contains(node.id())) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "connection refused", null);
        }
        if (down.contains(node.id())) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "down", null);
        }
        heartbeats.put(node.id(), heartbeat);
        String status = draining.contains(node.id()) ? "draining" : "up";
        // placed for whatever ring it is told: reads take the fast path once the ring is agreed
        String fp = heartbeat.ring() == null || !placed ? "" : heartbeat.ring().fingerprint();
        dev.dcache.common.wire.RebalanceStatus placed = new dev.dcache.common.wire.RebalanceStatus(fp, fp, false, 0, 0, 0, 0);
        return new HeartbeatReply(status, node.id(), 0, List.of(), placed, store(node.id()).size(),
                dev.dcache.common.cluster.TokenProof.prove(token, heartbeat.nonce()), nearCacheMasters,
                !notServing.contains(node.id()));
    }

    @Override
    public void close() {
    }
}
