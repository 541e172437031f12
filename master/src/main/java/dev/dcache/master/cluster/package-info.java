/**
 * Which aux nodes exist and which are up, as this master sees them: {@link
 * dev.dcache.master.cluster.Membership} heartbeats every known node, applies the ejections and
 * re-admissions {@code health.Health} decides, merges operator decisions, and publishes an immutable {@link
 * dev.dcache.master.cluster.ClusterView} (members, their {@link dev.dcache.master.cluster.NodeState}, the
 * ring over the nodes that are up) that each request routes by. {@link
 * dev.dcache.master.cluster.NodeSource} re-reads the node list from {@code AUX_NODES}, {@code
 * AUX_NODES_FILE} or DNS. Package-private helpers: {@code Placement} (where nodes say their data is placed,
 * the last ring settled long enough to route by alone) and {@code Departures} (removed nodes still told the
 * ring until they hand their records over). When a write may leave out an unreachable owner is decided in
 * {@code fencing}.
 */
package dev.dcache.master.cluster;
