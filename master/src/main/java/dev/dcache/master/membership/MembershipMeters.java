package dev.dcache.master.membership;

import dev.dcache.master.health.Health;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.ring.NodeState;
import dev.dcache.master.ring.ViewPublisher;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What the membership meters read: node states, ring generation, probe failures, ejections, rebalancing. */
final class MembershipMeters implements MasterMetrics.MembershipReadings {
    private final ViewPublisher views;
    private final Health health;
    private final NodeStates states;
    private final Placement placement;

    MembershipMeters(ViewPublisher views, Health health, NodeStates states, Placement placement) {
        this.views = views;
        this.health = health;
        this.states = states;
        this.placement = placement;
    }

    /** Failed heartbeats and failed calls counted against nodes, since start. */
    @Override
    public long heartbeatFailures() {
        return health.failures();
    }

    /** Times a node was ejected from the ring, since start. */
    @Override
    public long ejections() {
        return states.ejections();
    }

    /** Times a node was re-admitted to the ring, since start. */
    @Override
    public long readmissions() {
        return states.readmissions();
    }

    @Override
    public List<String> nodeStates() {
        return Arrays.stream(NodeState.values()).map(st -> st.name().toLowerCase(Locale.ROOT)).toList();
    }

    @Override
    public long nodesIn(String state) {
        NodeState wanted = NodeState.valueOf(state.toUpperCase(Locale.ROOT));
        return views.current().states().values().stream().filter(x -> x == wanted).count();
    }

    @Override
    public long generation() {
        return views.current().generation();
    }

    @Override
    public long rebalancingNodes() {
        return placement.rebalancing();
    }
}
