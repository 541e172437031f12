/**
 * Which aux nodes exist and which are up, as this master sees them. {@link
 * dev.dcache.master.membership.Membership} is the front and the lock: it applies member-set changes
 * ({@code MemberSet}: {@link dev.dcache.master.membership.NodeSource}'s list plus operator decisions) and
 * probe outcomes ({@code NodeStates}, on {@code health.Health}'s verdicts), and each change publishes a
 * new {@code ring.ClusterView} that requests route by. Package-private helpers, one job each: {@code
 * HeartbeatRound} (one round of heartbeats and what the replies say), {@code HeartbeatCall} (the token
 * and id checks on a reply), {@code WarmUp}, {@code NearCachePeers}, {@code NodeReports} (serving or not,
 * entry counts), {@code Placement} (where nodes say their data is placed; the last ring settled long
 * enough to route by alone), {@code Departures} (removed nodes still told the ring until they hand their
 * records over), {@code MembershipMeters}. When a write may leave out an unreachable owner is decided in
 * {@code fencing}.
 */
package dev.dcache.master.membership;
