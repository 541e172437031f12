package dev.dcache.common.wire;

import dev.dcache.common.ring.NodeAddress;

import java.util.List;

/**
 * An aux node's answer to a {@link Heartbeat}.
 *
 * @param status     "up", or "draining" while it hands its keys over before exiting
 * @param id         the node's id
 * @param binaryPort binary protocol port, 0 when disabled
 * @param changes    every membership decision the node has heard of (highest version per id)
 * @param rebalance  the node's rebalancing state
 * @param entries    records the node holds (values and tombstones)
 * @param proof      {@link dev.dcache.common.cluster.TokenProof} of the heartbeat's nonce, null without a token
 * @param nearCacheMasters masters heard from within three of their heartbeat intervals that keep a
 *                   near cache ({@link Heartbeat#nearCache()}), each with the id it heartbeats as,
 *                   the address its heartbeat came from and its HTTP port; the asking master is
 *                   among them. Null from older nodes
 * @param serving    the node answers reads: false while it recovers (catches up on writes it may
 *                   have missed) or drains. Absent (older nodes): true
 */
public record HeartbeatReply(String status, String id, int binaryPort, List<MemberChange> changes,
                             RebalanceStatus rebalance, long entries, String proof,
                             List<NodeAddress> nearCacheMasters, Boolean serving) {
    public HeartbeatReply {
        serving = serving == null || serving;
    }

    /** A reply of a node that does not report whether it serves reads (tests, older nodes). */
    public HeartbeatReply(String status, String id, int binaryPort, List<MemberChange> changes,
                          RebalanceStatus rebalance, long entries, String proof, List<NodeAddress> nearCacheMasters) {
        this(status, id, binaryPort, changes, rebalance, entries, proof, nearCacheMasters, true);
    }
}
