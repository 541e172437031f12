package dev.dcache.master.ring;

import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;

import java.util.List;
import java.util.Map;

/**
 * One immutable picture of the cluster as this master sees it: every known aux node, its state,
 * and the ring built from the nodes that are up. Published atomically by {@link ViewPublisher}; a
 * request reads one view and routes entirely by it.
 *
 * @param members    known aux nodes by id
 * @param states     state of each member
 * @param ring       ring over the members that are {@link NodeState#UP}
 * @param generation increases on every change, for logs and metrics
 */
public record ClusterView(Map<String, NodeAddress> members, Map<String, NodeState> states, HashRing ring,
                          long generation) {
    /** The owners of {@code key}, primary first, as addresses. */
    public List<NodeAddress> owners(String key, int replicationFactor) {
        return ring.owners(key, replicationFactor).stream().map(members::get).toList();
    }

    public NodeAddress address(String id) {
        return members.get(id);
    }
}
