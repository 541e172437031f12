package dev.dcache.common.wire;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;

import java.util.List;

/**
 * A ring as masters describe it to aux nodes: the nodes on it (with addresses, so aux nodes can
 * reach each other), replication factor and virtual nodes. The hash is always
 * {@link HashFunction#FNV1A_MIX}.
 *
 * @param nodes             aux nodes on the ring (the ones that are up)
 * @param replicationFactor owners per key
 * @param vnodes            virtual nodes per aux node
 * @param fingerprint       {@link HashRing#fingerprint()} of the ring these describe
 */
public record RingSpec(List<NodeAddress> nodes, int replicationFactor, int vnodes, String fingerprint) {
    /** Builds the ring this spec describes. */
    public HashRing toRing() {
        return new HashRing(nodes.stream().map(NodeAddress::id).toList(), vnodes, HashFunction.FNV1A_MIX);
    }
}
