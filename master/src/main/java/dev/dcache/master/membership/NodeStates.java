package dev.dcache.master.membership;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.health.Health;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.ring.NodeState;
import dev.dcache.master.ring.ViewPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Each member's {@link NodeState}, and every change of it: a member-set change (new and moved
 * nodes start down), and probe outcomes, on which {@link Health} gives a verdict; on an ejection or
 * re-admission this tells the fences (a node off the ring is written without once the warm-up is
 * over), counts it, and publishes a view with the node's new state. Called under the membership's
 * lock; the counters are read by metrics.
 */
final class NodeStates {
    private static final Logger log = LoggerFactory.getLogger(NodeStates.class);

    private final Health health;
    private final Fences fences;
    private final WarmUp warmUp;
    private final ViewPublisher views;
    private final LongAdder ejections = new LongAdder();
    private final LongAdder readmissions = new LongAdder();
    /** Nodes ejected at least once and not re-admitted since; guarded by the membership's lock. */
    private final Set<String> ejected = new HashSet<>();

    NodeStates(Health health, Fences fences, WarmUp warmUp, ViewPublisher views) {
        this.health = health;
        this.fences = fences;
        this.warmUp = warmUp;
        this.views = views;
    }

    /** Applies one probe outcome for {@code id}; {@code reply} is null when the probe failed. */
    void probed(String id, HeartbeatReply reply) {
        NodeState state = views.current().states().get(id);
        if (state == null) {
            return; // removed meanwhile
        }
        Health.Probe probe = reply == null ? Health.Probe.FAILED
                : "draining".equals(reply.status()) ? Health.Probe.DRAINING : Health.Probe.ANSWERED;
        Health.Verdict verdict = health.probe(id, state == NodeState.UP, probe, () -> fences.mayEject(id));
        if (verdict != null) {
            set(id, verdict.up() ? NodeState.UP : NodeState.DOWN, verdict.why());
        }
    }

    /**
     * The member set changed from {@code current}'s to {@code members}: a known node at the same
     * address keeps its state; a new or moved one starts down and must prove itself (and is written
     * without, once the warm-up is over). Publishes the view of the new members.
     */
    void membersChanged(ClusterView current, Map<String, NodeAddress> members) {
        Map<String, NodeState> next = new TreeMap<>();
        for (NodeAddress a : members.values()) {
            NodeAddress old = current.members().get(a.id());
            boolean known = old != null && old.equals(a);
            next.put(a.id(), known ? current.states().get(a.id()) : NodeState.DOWN);
            if (!known) {
                health.track(a.id());
                if (warmUp.over()) {
                    fences.routedWithout(a.id());
                }
            }
        }
        health.retain(members.keySet());
        views.publish(members, next);
    }

    /** Times a node was ejected from the ring, since start. */
    long ejections() {
        return ejections.sum();
    }

    /** Times a node was re-admitted to the ring, since start. */
    long readmissions() {
        return readmissions.sum();
    }

    private void set(String id, NodeState state, String why) {
        if (state == NodeState.DOWN) {
            ejections.increment();
            ejected.add(id);
            if (warmUp.over()) {
                fences.routedWithout(id);
            }
        } else {
            fences.routedWith(id);
            if (ejected.remove(id)) {
                readmissions.increment(); // a first join is not a re-admission
            }
        }
        ClusterView current = views.current();
        Map<String, NodeState> states = new TreeMap<>(current.states());
        states.put(id, state);
        log.info("aux {} is now {} ({})", id, state, why);
        views.publish(current.members(), states);
    }
}
