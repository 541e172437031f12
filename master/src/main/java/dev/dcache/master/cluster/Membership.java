package dev.dcache.master.cluster;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Which aux nodes exist, which are up, and the ring over the ones that are.
 *
 * <h2>Design</h2>
 * The ring is a pure function of the set of up node ids (see {@link HashRing}): two masters that
 * see the same nodes up route every key the same way, whatever order they learned it in, and
 * {@code GET /cluster} shows the same fingerprint. Facts come from two places:
 * <ul>
 *   <li><b>Active probes</b>, every health interval: {@code failureThreshold} failed probes in a
 *   row eject a node, {@code successThreshold} good ones in a row re-admit it. Requiring a run of
 *   successes keeps a flapping node from churning the ring.</li>
 *   <li><b>Passive evidence</b>: a refused connection on a real request ejects the node at once
 *   (a process that refuses connections is not serving); a timeout counts as one failed probe.
 *   The request itself has already failed over to the next replica.</li>
 * </ul>
 * Every master probes for itself, so after a change each converges within
 * {@code failureThreshold} (ejection) or {@code successThreshold} (re-admission) intervals.
 * This is twemproxy's auto-eject trade-off: ejecting quickly keeps latency low but moves keys
 * on transient faults; ejecting slowly keeps placement stable but sends requests to a dead node
 * until then, which failover to replicas hides from clients.
 *
 * <p>All state changes go through {@code synchronized} methods that publish a fresh
 * {@link ClusterView}; readers only load the reference.
 */
public final class Membership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    private final AuxClient probeClient;
    private final int vnodes;
    private final HashFunction hash;
    private final int failureThreshold;
    private final int successThreshold;
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicReference<ClusterView> view = new AtomicReference<>();
    private final List<Consumer<ClusterView>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Consecutive probe outcomes per node; guarded by {@code this}. */
    private final Map<String, int[]> streaks = new TreeMap<>();

    public Membership(Collection<NodeAddress> initial, AuxClient probeClient, int vnodes, HashFunction hash,
                      int failureThreshold, int successThreshold) {
        this.probeClient = probeClient;
        this.vnodes = vnodes;
        this.hash = hash;
        this.failureThreshold = failureThreshold;
        this.successThreshold = successThreshold;
        Map<String, NodeAddress> members = new TreeMap<>();
        Map<String, NodeState> states = new TreeMap<>();
        for (NodeAddress a : initial) {
            members.put(a.id(), a);
            states.put(a.id(), NodeState.UP); // optimistic until the first probe says otherwise
            streaks.put(a.id(), new int[2]);
        }
        view.set(build(members, states, 1));
    }

    /** The current view; never null. */
    public ClusterView view() {
        return view.get();
    }

    /** Called with every new view, on the thread that made the change. */
    public void onChange(Consumer<ClusterView> listener) {
        listeners.add(listener);
    }

    /** Probes every member once, in parallel, and applies the outcomes. Bounded by the probe client's timeouts. */
    public void probeAll() {
        ClusterView current = view.get();
        List<Future<Boolean>> results = new ArrayList<>();
        List<String> ids = new ArrayList<>(current.members().keySet());
        for (String id : ids) {
            NodeAddress a = current.members().get(id);
            results.add(probes.submit(() -> probe(a)));
        }
        for (int i = 0; i < ids.size(); i++) {
            boolean ok;
            try {
                ok = results.get(i).get();
            } catch (Exception e) {
                ok = false;
            }
            recordProbe(ids.get(i), ok);
        }
    }

    private boolean probe(NodeAddress a) {
        try {
            String reported = probeClient.health(a).id();
            if (reported != null && !reported.equals(a.id())) {
                log.warn("node at {}:{} reports id '{}' but is configured as '{}'; treating it as down",
                        a.host(), a.port(), reported, a.id());
                return false;
            }
            return true;
        } catch (AuxCallException e) {
            return false;
        }
    }

    /** Applies one probe outcome for {@code id}. */
    public synchronized void recordProbe(String id, boolean ok) {
        int[] streak = streaks.get(id);
        ClusterView current = view.get();
        if (streak == null) {
            return; // removed meanwhile
        }
        NodeState state = current.states().get(id);
        if (ok) {
            streak[0] = 0;
            streak[1]++;
            if (state == NodeState.DOWN && streak[1] >= successThreshold) {
                setState(id, NodeState.UP, streak[1] + " good probes in a row");
            }
        } else {
            streak[1] = 0;
            streak[0]++;
            if (state == NodeState.UP && streak[0] >= failureThreshold) {
                setState(id, NodeState.DOWN, streak[0] + " failed probes in a row");
            }
        }
    }

    /** Passive evidence from a request: a refused connection ejects at once, a timeout counts as a failed probe. */
    public synchronized void reportCallFailure(String id, AuxCallException.Kind kind) {
        if (kind == AuxCallException.Kind.REFUSED) {
            int[] streak = streaks.get(id);
            if (streak != null) {
                streak[1] = 0;
                streak[0] = Math.max(streak[0], failureThreshold);
            }
            if (view.get().states().get(id) == NodeState.UP) {
                setState(id, NodeState.DOWN, "connection refused on a request");
            }
        } else {
            recordProbe(id, false);
        }
    }

    /** Replaces the member list (from the nodes file or the admin API); kept nodes keep their state. */
    public synchronized void setMembers(Collection<NodeAddress> nodes) {
        ClusterView current = view.get();
        Map<String, NodeAddress> members = new TreeMap<>();
        Map<String, NodeState> states = new TreeMap<>();
        for (NodeAddress a : nodes) {
            members.put(a.id(), a);
            NodeAddress old = current.members().get(a.id());
            // a known node at the same address keeps its state; a new or moved one must prove itself
            NodeState s = old != null && old.equals(a) ? current.states().get(a.id()) : NodeState.DOWN;
            states.put(a.id(), s);
            if (old == null || !old.equals(a)) {
                streaks.put(a.id(), new int[2]);
            }
        }
        streaks.keySet().retainAll(members.keySet());
        if (members.equals(current.members())) {
            return;
        }
        log.info("aux members changed: {} -> {}", current.members().keySet(), members.keySet());
        publish(build(members, states, current.generation() + 1));
    }

    private void setState(String id, NodeState state, String why) {
        ClusterView current = view.get();
        Map<String, NodeState> states = new TreeMap<>(current.states());
        states.put(id, state);
        log.info("aux {} is now {} ({})", id, state, why);
        publish(build(current.members(), states, current.generation() + 1));
    }

    private void publish(ClusterView next) {
        view.set(next);
        log.info("ring generation {}: {} up of {}, fingerprint {}", next.generation(), next.ring().nodes().size(),
                next.members().size(), next.ring().fingerprint());
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
        return new ClusterView(Map.copyOf(members), Map.copyOf(states), new HashRing(up, vnodes, hash), generation);
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
