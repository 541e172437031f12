package dev.dcache.master.membership;

import dev.dcache.common.ring.NodeAddress;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Near-cache peer discovery. Masters do not know each other; each says in its heartbeats whether
 * it keeps a near cache ({@link #advertise}), and every aux node lists the masters that said so in
 * its replies. The peers are the masters listed by the nodes that answered the last round, this
 * one left out; a round no node answered keeps the peers known before. Read by request threads,
 * written by the heartbeat round.
 */
final class NearCachePeers {
    private final String masterId;
    private volatile boolean advertised;
    private volatile List<NodeAddress> peers = List.of();

    NearCachePeers(String masterId) {
        this.masterId = masterId;
    }

    /** Whether this master's heartbeats say it keeps a near cache. */
    void advertise(boolean enabled) {
        advertised = enabled;
    }

    boolean advertised() {
        return advertised;
    }

    /** The other masters that keep a near cache (id, the address their heartbeats came from, HTTP port). */
    List<NodeAddress> current() {
        return peers;
    }

    /** Adds the masters one node listed, other than this one, to {@code seen} (created on first use). */
    Map<String, NodeAddress> add(Map<String, NodeAddress> seen, List<NodeAddress> listed) {
        Map<String, NodeAddress> into = seen == null ? new TreeMap<>() : seen;
        if (listed != null) {
            for (NodeAddress m : listed) {
                if (m != null && !m.id().equals(masterId)) {
                    into.putIfAbsent(m.id(), m);
                }
            }
        }
        return into;
    }

    /** The round is over; {@code seen} is null when no node answered it. */
    void roundOver(Map<String, NodeAddress> seen) {
        if (seen != null) {
            List<NodeAddress> now = List.copyOf(seen.values());
            if (!now.equals(peers)) {
                peers = now; // a new instance only on a change: readers compare by identity
            }
        }
    }
}
