package dev.dcache.common.wire;

/**
 * An operator's decision about one aux node, made through a master's admin API and spread to the
 * other masters through the aux nodes' heartbeat replies. For each node id the change with the
 * highest version wins everywhere.
 *
 * @param id      node id
 * @param address {@code host:port} of its HTTP API
 * @param present true when added, false when removed
 * @param version hybrid-logical-clock version of the decision
 */
public record MemberChange(String id, String address, boolean present, long version) {
}
