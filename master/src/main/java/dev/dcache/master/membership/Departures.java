package dev.dcache.master.membership;

import dev.dcache.common.ring.NodeAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Nodes that left the membership (removed by an operator, gone from the source) but may still
 * hold records: they keep getting heartbeats, so they learn the ring without them and hand their
 * records over, until they report their data placed for the current ring or {@link #GRACE_NANOS}
 * passes. Thread-safe.
 */
final class Departures {
    /** How long a departed node is heartbeated at most. */
    static final long GRACE_NANOS = 10L * 60 * 1_000_000_000L;

    /** A departed node, and when it left. */
    record Departed(NodeAddress address, long sinceNanos) {
    }

    private final Map<String, Departed> departed = new TreeMap<>();

    /** The node left the membership at {@code nowNanos}. */
    synchronized void left(NodeAddress node, long nowNanos) {
        departed.put(node.id(), new Departed(node, nowNanos));
    }

    /** These are members (again): not departed. */
    synchronized void rejoined(Set<String> members) {
        departed.keySet().removeAll(members);
    }

    /** The departed nodes now. */
    synchronized List<Departed> all() {
        return new ArrayList<>(departed.values());
    }

    /** Stops heartbeating the node. */
    synchronized void forget(String id) {
        departed.remove(id);
    }
}
