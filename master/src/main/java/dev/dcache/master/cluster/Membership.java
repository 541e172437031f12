package dev.dcache.master.cluster;

import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.cluster.MemberChanges;
import dev.dcache.common.cluster.TokenProof;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.MemberChange;
import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.common.wire.RingSpec;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.health.Health;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Which aux nodes exist, which are up, and the ring over the ones that are.
 *
 * <h2>Design: one ring for the same facts, without masters talking to each other</h2>
 * <p>The ring is a pure function of the set of up node ids (see {@link HashRing}): two masters
 * that see the same nodes up route every key the same way, whatever order they learned it in,
 * and {@code GET /cluster} shows the same fingerprint. Masters are stateless and do not know each
 * other; the facts come from three places, all of which every master observes the same way:
 * <ul>
 *   <li><b>Heartbeats</b>, every health interval, to every known node. A heartbeat is the health
 *   probe: {@code failureThreshold} failures in a row eject a node, {@code successThreshold}
 *   successes in a row re-admit it (a run is required so a flapping node does not churn the
 *   ring), and a node that answers "draining" (graceful shutdown) is ejected at once. Every
 *   master probes on the same interval, so after a change they converge within about one
 *   interval of each other.</li>
 *   <li><b>Passive evidence</b>: a failed call on a real request counts as a failed probe at once
 *   and marks the node suspect, so reads try its replicas first until a heartbeat succeeds
 *   again; the request itself has already failed over. Passive evidence never changes the ring
 *   by itself faster than the threshold, so one master's unlucky request cannot split the
 *   masters' rings for long.</li>
 *   <li><b>Membership</b>: the static list, the nodes file or DNS, plus operator decisions from
 *   the admin API. Those decisions ({@link MemberChange}, highest version wins) travel in
 *   heartbeats to the aux nodes and back in their replies, so a node added through one master
 *   reaches all masters within two intervals.</li>
 * </ul>
 * <p>Trade-off, as twemproxy's notes on auto-ejection put it: ejecting quickly keeps latency low
 * but moves keys on a transient fault; ejecting slowly keeps placement stable but sends requests
 * to a dead node until then. Here failover to replicas hides the dead node from clients while
 * detection catches up, so the default threshold (3 x 1 s) favours stability.
 *
 * <p>Threading: state changes go through {@code synchronized} methods that publish a fresh
 * immutable {@link ClusterView}; request threads only load the reference.
 */
public final class Membership implements AutoCloseable, MasterMetrics.MembershipReadings {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    private final String masterId;
    private final String token;
    private final AuxClient probeClient;
    private final int vnodes;
    private final int replicationFactor;
    private final long intervalMillis;
    private final int failureThreshold;
    private final int successThreshold;
    private final Health health;
    private final Placement placement;
    private final Departures departures = new Departures();
    private final MemberChanges changes = new MemberChanges();
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicReference<ClusterView> view = new AtomicReference<>();
    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean warm;
    private volatile long warmUpDeadlineNanos;
    private volatile int port;
    private volatile boolean nearCache;
    private volatile List<NodeAddress> nearCachePeers = List.of();
    private final Map<String, Long> entries = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder ejections = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder readmissions = new java.util.concurrent.atomic.LongAdder();
    /** Nodes that said (in a heartbeat reply or a read) they do not serve reads now. */
    private final Set<String> notServing = ConcurrentHashMap.newKeySet();
    private final Fences fences;
    /** Numbers this master's heartbeat rounds, so a node acts on the newest of two that arrive out of order. */
    private final java.util.concurrent.atomic.AtomicLong rounds = new java.util.concurrent.atomic.AtomicLong();

    /** Nodes ejected at least once and not re-admitted since; guarded by {@code this}. */
    private final Set<String> ejected = new java.util.HashSet<>();

    /** Nodes from the configured source (list, file, DNS); guarded by {@code this}. */
    private List<NodeAddress> sourced = List.of();

    /**
     * Settings the membership needs.
     *
     * @param token the cluster token aux nodes must prove they know, or null
     */
    public record Settings(String masterId, int vnodes, int replicationFactor, long intervalMillis,
                           int failureThreshold, int successThreshold, String token) {
    }

    /** A membership that fences nodes it cannot reach for {@link Fences#fenceAfter} three intervals. */
    public Membership(Settings settings, Collection<NodeAddress> initial, AuxClient probeClient) {
        this(settings, initial, probeClient, new Fences(System::nanoTime,
                Fences.fenceAfter(java.time.Duration.ofMillis(settings.intervalMillis())),
                java.time.Duration.ofMillis(settings.intervalMillis()).multipliedBy(6)));
    }

    /**
     * @param fences decides when a node may be left out of writes and what heartbeats tell it; shared
     *               with the data router
     */
    public Membership(Settings settings, Collection<NodeAddress> initial, AuxClient probeClient, Fences fences) {
        this.fences = fences;
        this.warmUpDeadlineNanos = fences.now();
        this.masterId = settings.masterId();
        this.token = settings.token();
        this.probeClient = probeClient;
        this.vnodes = settings.vnodes();
        this.replicationFactor = settings.replicationFactor();
        this.intervalMillis = settings.intervalMillis();
        this.failureThreshold = settings.failureThreshold();
        this.successThreshold = settings.successThreshold();
        this.health = new Health(failureThreshold, successThreshold);
        this.placement = new Placement(intervalMillis);
        view.set(build(Map.of(), Map.of(), 0));
        setSourced(initial);
    }

    /** The current view; never null. */
    public ClusterView view() {
        return view.get();
    }

    /** Called with every new view, on the thread that made the change. */
    public void onChange(Consumer<ClusterView> listener) {
        listeners.add(listener);
    }

    /** True when a recent call to the node failed and no heartbeat has succeeded since. */
    public boolean isSuspect(String id) {
        return health.isSuspect(id);
    }

    /**
     * True when the node said it does not serve reads now (it is catching up or draining), in its
     * last heartbeat reply or a read since.
     */
    public boolean isNotServing(String id) {
        return !notServing.isEmpty() && notServing.contains(id);
    }

    /** A read found the node not serving: readers ask its co-owners first until a heartbeat says it serves. */
    public void reportNotServing(String id) {
        notServing.add(id);
    }

    /** What decides when a node may be left out of a write. */
    public Fences fences() {
        return fences;
    }

    /**
     * True when every up node reported (at its last heartbeat) that its data is placed for the
     * ring of {@code v} and no pass is running: then each key's primary holds its newest record.
     * False right after any ring change, until the nodes have rebalanced and said so.
     */
    public boolean settled(ClusterView v) {
        return placement.settled(v);
    }

    /**
     * The latest view this master saw settled (see {@link #settled}) for two heartbeat intervals, or
     * null before the first: while a new ring is not settled yet, some master may still route by
     * this one, so writes go to the owners under both.
     */
    public ClusterView lastSettled() {
        return placement.lastSettled();
    }

    /**
     * True when writes of {@code v}'s ring may go to its owners alone: it is {@link #settled}, and
     * has been for two heartbeat intervals (a new ring becomes {@link #lastSettled} only then). The
     * grace lets every other master see the ring settled too before this one stops ordering writes
     * on the old ring's owners as well: the nodes report their placement to each master in its own
     * heartbeat round, up to an interval apart, and a master that routes by the new ring alone
     * orders a write where one still in transition may not (see {@code routing.ReplicatedWrite}).
     */
    public boolean routesAlone(ClusterView v) {
        return placement.routesAlone(v);
    }

    /** Tells aux nodes, in later heartbeats, the port this master's HTTP API listens on. */
    public void advertisePort(int port) {
        this.port = port;
    }

    /**
     * Tells aux nodes, in later heartbeats, that this master keeps a near cache and takes
     * invalidations pushed by other masters; they list it to every master in their replies.
     */
    public void advertiseNearCache(boolean enabled) {
        this.nearCache = enabled;
    }

    /**
     * The other masters that keep a near cache, as the aux nodes listed them at the last heartbeat
     * round any of them answered (id, the address their heartbeats came from, HTTP port).
     */
    public List<NodeAddress> nearCachePeers() {
        return nearCachePeers;
    }

    /** Records each node held at its last heartbeat reply. */
    public Map<String, Long> entries() {
        return Map.copyOf(entries);
    }

    /** Failed heartbeats and failed calls counted against nodes, since start. */
    @Override
    public long heartbeatFailures() {
        return health.failures();
    }

    /** Times a node was ejected from the ring, since start. */
    @Override
    public long ejections() {
        return ejections.sum();
    }

    /** Times a node was re-admitted to the ring, since start. */
    @Override
    public long readmissions() {
        return readmissions.sum();
    }

    @Override
    public List<String> nodeStates() {
        return java.util.Arrays.stream(NodeState.values()).map(st -> st.name().toLowerCase(java.util.Locale.ROOT)).toList();
    }

    @Override
    public long nodesIn(String state) {
        NodeState wanted = NodeState.valueOf(state.toUpperCase(java.util.Locale.ROOT));
        return view().states().values().stream().filter(x -> x == wanted).count();
    }

    @Override
    public long generation() {
        return view().generation();
    }

    @Override
    public long rebalancingNodes() {
        return placement.rebalancing();
    }

    /** Operator decisions known to this master. */
    public List<MemberChange> changes() {
        return changes.all();
    }

    /** Each node's rebalancing state, from its last heartbeat reply. */
    public Map<String, RebalanceStatus> rebalanceStatus() {
        return placement.statuses();
    }

    /** Sets the nodes the configured source (list, file, DNS) provides. */
    public synchronized void setSourced(Collection<NodeAddress> nodes) {
        sourced = List.copyOf(nodes);
        recompute();
    }

    /** Records an operator decision (admin API) and applies it. */
    public synchronized void decide(MemberChange change) {
        if (changes.merge(List.of(change))) {
            log.info("operator decision: {} {} ({})", change.present() ? "add" : "remove", change.id(), change.address());
            recompute();
        }
    }

    /**
     * At start: heartbeats until every member that answers has had enough good heartbeats to be
     * up, so a master joins a running cluster with the same ring as the others instead of
     * optimistically routing to dead nodes. Bounded: {@code successThreshold} rounds.
     *
     * <p>Until every known member is up, or {@link #warmUpDeadlineNanos} passes, the master sends
     * no ring in its heartbeats: when a whole cluster starts, aux nodes come up one by one, and
     * a ring over the first few would make nodes restored from snapshots hand their records to
     * those few, only to take them back moments later. {@link #heartbeatAll} ends the warm-up.
     */
    public void warmUp() {
        warmUpDeadlineNanos = fences.now() + 3L * failureThreshold * intervalMillis * 1_000_000L;
        for (int i = 0; i < successThreshold; i++) {
            heartbeatAll();
        }
        heartbeatAll(); // tell every node the ring this master now routes by, if the warm-up ended
    }

    private void endWarmUpIfReady() {
        if (!warm) {
            ClusterView v = view.get();
            boolean allUp = !v.members().isEmpty() && v.ring().nodes().size() == v.members().size();
            if (allUp || fences.now() - warmUpDeadlineNanos >= 0) {
                warm = true;
                v.states().forEach((id, state) -> {
                    if (state == NodeState.DOWN) {
                        fences.routedWithout(id); // from now on this master writes without it
                    }
                });
                log.info("warm-up over: {} of {} aux nodes up", v.ring().nodes().size(), v.members().size());
            }
        }
    }

    /** Sends one heartbeat to every member, in parallel, and applies the outcomes. Bounded by the probe timeouts. */
    public void heartbeatAll() {
        endWarmUpIfReady();
        ClusterView current = view.get();
        // while warming up the ring is not yet this master's opinion: send none
        Heartbeat hb = new Heartbeat(masterId, intervalMillis, warm ? ringSpec(current) : null, changes.all(), port,
                token == null ? null : TokenProof.nonce(), nearCache, rounds.incrementAndGet(), false,
                warm && routesAlone(current));
        List<String> ids = new ArrayList<>(current.members().keySet());
        List<Future<HeartbeatReply>> replies = new ArrayList<>(ids.size());
        boolean[] flagged = new boolean[ids.size()];
        long sentNanos = fences.now();
        for (int i = 0; i < ids.size(); i++) {
            NodeAddress a = current.members().get(ids.get(i));
            flagged[i] = fences.flag(a.id());
            Heartbeat toNode = hb.withFenced(flagged[i]);
            replies.add(probes.submit(() -> heartbeat(a, toNode)));
        }
        List<Departures.Departed> leaving = departures.all();
        List<Future<HeartbeatReply>> leavingReplies = new ArrayList<>(leaving.size());
        for (Departures.Departed d : leaving) {
            leavingReplies.add(probes.submit(() -> heartbeat(d.address(), hb)));
        }
        boolean learned = false;
        Map<String, NodeAddress> peers = null;
        for (int i = 0; i < ids.size(); i++) {
            HeartbeatReply reply;
            try {
                reply = replies.get(i).get();
            } catch (Exception e) {
                reply = null;
            }
            if (reply != null) {
                fences.answered(ids.get(i), sentNanos, flagged[i]);
                if (reply.serving()) {
                    notServing.remove(ids.get(i));
                } else {
                    notServing.add(ids.get(i));
                }
                peers = addPeers(peers, reply.nearCacheMasters());
                learned |= changes.merge(reply.changes());
                if (reply.rebalance() != null) {
                    placement.report(ids.get(i), reply.rebalance());
                }
                entries.put(ids.get(i), reply.entries());
            }
            recordProbe(ids.get(i), reply);
        }
        for (int i = 0; i < leaving.size(); i++) {
            HeartbeatReply reply;
            try {
                reply = leavingReplies.get(i).get();
            } catch (Exception e) {
                reply = null;
            }
            Departures.Departed d = leaving.get(i);
            boolean handedOver = reply != null && reply.rebalance() != null && hb.ring() != null
                    && reply.rebalance().appliedFingerprint().equals(hb.ring().fingerprint());
            if (handedOver || fences.now() - d.sinceNanos() > Departures.GRACE_NANOS) {
                departures.forget(d.address().id());
                log.info("departed aux {} {}", d.address().id(), handedOver ? "handed its records over" : "given up on");
            }
        }
        if (learned) {
            synchronized (this) {
                recompute();
            }
        }
        placement.afterRound(view.get(), warm, fences.now());
        if (peers != null) {
            List<NodeAddress> now = List.copyOf(peers.values());
            if (!now.equals(nearCachePeers)) {
                nearCachePeers = now; // a new instance only on a change: readers compare by identity
            }
        }
    }

    /** Adds the near-cache masters one node listed, other than this one, to {@code peers} (created on first use). */
    private Map<String, NodeAddress> addPeers(Map<String, NodeAddress> peers, List<NodeAddress> listed) {
        Map<String, NodeAddress> into = peers == null ? new TreeMap<>() : peers;
        if (listed != null) {
            for (NodeAddress m : listed) {
                if (m != null && !m.id().equals(masterId)) {
                    into.putIfAbsent(m.id(), m);
                }
            }
        }
        return into;
    }

    private HeartbeatReply heartbeat(NodeAddress a, Heartbeat hb) {
        try {
            HeartbeatReply reply = probeClient.heartbeat(a, hb);
            if (token != null && !TokenProof.verify(token, hb.nonce(), reply.proof())) {
                log.warn("node at {}:{} (as '{}') cannot prove it knows the cluster token; not admitting it",
                        a.host(), a.port(), a.id());
                return null;
            }
            if (reply.id() != null && !reply.id().equals(a.id())) {
                log.warn("node at {}:{} reports id '{}' but is known as '{}'; treating it as down",
                        a.host(), a.port(), reply.id(), a.id());
                return null;
            }
            return reply;
        } catch (AuxCallException e) {
            return null;
        }
    }

    /** Applies one probe outcome for {@code id}; {@code reply} is null when the probe failed. */
    synchronized void recordProbe(String id, HeartbeatReply reply) {
        NodeState state = view.get().states().get(id);
        if (state == null) {
            return; // removed meanwhile
        }
        Health.Probe probe = reply == null ? Health.Probe.FAILED
                : "draining".equals(reply.status()) ? Health.Probe.DRAINING : Health.Probe.ANSWERED;
        Health.Verdict verdict = health.probe(id, state == NodeState.UP, probe, () -> fences.mayEject(id));
        if (verdict != null) {
            setState(id, verdict.up() ? NodeState.UP : NodeState.DOWN, verdict.why());
        }
    }

    /**
     * Passive evidence from a request: makes the node suspect and counts as one failed probe. A
     * burst of failures (many requests on one broken connection) counts once: the node stays
     * suspect, and counts again, only after a heartbeat succeeds.
     */
    public void reportCallFailure(String id, AuxCallException.Kind kind) {
        if (health.suspect(id)) {
            recordProbe(id, null);
        }
    }

    /** The ring as heartbeats describe it. */
    public RingSpec ringSpec(ClusterView v) {
        List<NodeAddress> up = v.ring().nodes().stream().map(v.members()::get).toList();
        return new RingSpec(up, replicationFactor, vnodes, v.ring().fingerprint());
    }

    /** Members = sourced nodes, plus operator-added, minus operator-removed. Caller holds the lock. */
    private void recompute() {
        Map<String, NodeAddress> members = new TreeMap<>();
        for (NodeAddress a : sourced) {
            members.put(a.id(), a);
        }
        for (MemberChange c : changes.all()) {
            if (!c.present()) {
                members.remove(c.id());
            } else {
                try {
                    NodeAddress a = NodeAddress.parse(c.id() + "@" + c.address(), "admin decision");
                    members.put(a.id(), a);
                } catch (RuntimeException e) {
                    log.warn("ignoring malformed operator decision {}: {}", c, e.getMessage());
                }
            }
        }
        ClusterView current = view.get();
        if (members.equals(current.members())) {
            return;
        }
        Map<String, NodeState> states = new TreeMap<>();
        for (NodeAddress a : members.values()) {
            NodeAddress old = current.members().get(a.id());
            // a known node at the same address keeps its state; a new or moved one must prove itself
            NodeState s = old != null && old.equals(a) ? current.states().get(a.id()) : NodeState.DOWN;
            states.put(a.id(), s);
            if (old == null || !old.equals(a)) {
                health.track(a.id());
                if (warm) {
                    fences.routedWithout(a.id());
                }
            }
        }
        for (NodeAddress old : current.members().values()) {
            if (!members.containsKey(old.id())) {
                departures.left(old, fences.now());
            }
        }
        departures.rejoined(members.keySet());
        health.retain(members.keySet());
        notServing.retainAll(members.keySet());
        placement.retain(members.keySet());
        entries.keySet().retainAll(members.keySet());
        log.info("aux members: {} -> {}", current.members().keySet(), members.keySet());
        publish(build(members, states, current.generation() + 1));
    }

    private void setState(String id, NodeState state, String why) {
        if (state == NodeState.DOWN) {
            ejections.increment();
            ejected.add(id);
            if (warm) {
                fences.routedWithout(id);
            }
        } else {
            fences.routedWith(id);
            if (ejected.remove(id)) {
                readmissions.increment(); // a first join is not a re-admission
            }
        }
        ClusterView current = view.get();
        Map<String, NodeState> states = new TreeMap<>(current.states());
        states.put(id, state);
        log.info("aux {} is now {} ({})", id, state, why);
        publish(build(current.members(), states, current.generation() + 1));
    }

    private void publish(ClusterView next) {
        view.set(next);
        log.info("ring generation {}: {} of {} nodes up {}, fingerprint {}", next.generation(),
                next.ring().nodes().size(), next.members().size(), next.ring().nodes(), next.ring().fingerprint());
        for (Consumer<ClusterView> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("membership listener failed", e);
            }
        }
    }

    private ClusterView build(Map<String, NodeAddress> members, Map<String, NodeState> states, long generation) {
        List<String> up = states.entrySet().stream().filter(e -> e.getValue() == NodeState.UP).map(Map.Entry::getKey).toList();
        return new ClusterView(Map.copyOf(members), Map.copyOf(states), new HashRing(up, vnodes, HashFunction.FNV1A_MIX),
                generation);
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
