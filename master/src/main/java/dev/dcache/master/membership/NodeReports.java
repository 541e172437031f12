package dev.dcache.master.membership;

import dev.dcache.common.wire.HeartbeatReply;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each member said of itself lately: whether it serves reads now (its last heartbeat reply,
 * or a read since that found it not serving) and how many records it held at its last reply.
 * Written by the heartbeat round and request threads, read by request threads; thread-safe.
 */
final class NodeReports {
    /** Nodes that said (in a heartbeat reply or a read) they do not serve reads now. */
    private final Set<String> notServing = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> entries = new ConcurrentHashMap<>();

    /** The node's heartbeat reply. */
    void replied(String id, HeartbeatReply reply) {
        if (reply.serving()) {
            notServing.remove(id);
        } else {
            notServing.add(id);
        }
        entries.put(id, reply.entries());
    }

    /** A read found the node not serving. */
    void notServing(String id) {
        notServing.add(id);
    }

    boolean isNotServing(String id) {
        return !notServing.isEmpty() && notServing.contains(id);
    }

    /** Records each node held at its last heartbeat reply. */
    Map<String, Long> entries() {
        return Map.copyOf(entries);
    }

    /** Forgets every node but these. */
    void retain(Set<String> ids) {
        notServing.retainAll(ids);
        entries.keySet().retainAll(ids);
    }
}
