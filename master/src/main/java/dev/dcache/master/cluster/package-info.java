/**
 * Which aux nodes exist and which are up, as this master sees them: {@link
 * dev.dcache.master.cluster.Membership} heartbeats every known node, ejects and re-admits nodes by failure
 * and success thresholds, merges operator decisions, and publishes an immutable {@link
 * dev.dcache.master.cluster.ClusterView} (members, their {@link dev.dcache.master.cluster.NodeState}, the
 * ring over the nodes that are up) that each request routes by. {@link
 * dev.dcache.master.cluster.NodeSource} re-reads the node list from {@code AUX_NODES}, {@code
 * AUX_NODES_FILE} or DNS; when a write may leave out an unreachable owner is decided in {@code fencing}.
 */
package dev.dcache.master.cluster;
