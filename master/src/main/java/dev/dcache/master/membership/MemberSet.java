package dev.dcache.master.membership;

import dev.dcache.common.cluster.MemberChanges;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.MemberChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which aux nodes are members: the nodes the configured source provides (the static list, the
 * nodes file or DNS, see {@link NodeSource}), plus the ones operators added, minus the ones they
 * removed. Operator decisions ({@link MemberChange}, the highest version per node wins) come from
 * the admin API of any master and travel in heartbeats to the aux nodes and back in their replies,
 * so a node added through one master reaches all masters within two intervals. The decisions are
 * thread-safe; the sourced list is written and read under the membership's lock.
 */
final class MemberSet {
    private static final Logger log = LoggerFactory.getLogger(MemberSet.class);

    private final MemberChanges changes = new MemberChanges();
    private List<NodeAddress> sourced = List.of();

    /** The nodes the configured source provides now. */
    void source(Collection<NodeAddress> nodes) {
        sourced = List.copyOf(nodes);
    }

    /**
     * Merges operator decisions, from the admin API or a heartbeat reply.
     *
     * @return true when one of them was new to this master
     */
    boolean merge(List<MemberChange> decisions) {
        return changes.merge(decisions);
    }

    /** Operator decisions known to this master. */
    List<MemberChange> changes() {
        return changes.all();
    }

    /** The members by id: sourced nodes, plus operator-added, minus operator-removed. */
    Map<String, NodeAddress> members() {
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
        return members;
    }
}
