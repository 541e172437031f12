/**
 * Cluster rules shared by masters and aux nodes: {@link dev.dcache.common.cluster.FencingTimes} derives
 * from the heartbeat interval how long an aux node may hear no master before it stops serving reads and
 * how long a master waits before writing without an owner; {@link dev.dcache.common.cluster.MemberChanges}
 * merges operator membership decisions (highest version per node id wins) as they travel in heartbeats;
 * {@link dev.dcache.common.cluster.TokenProof} lets an aux node prove it knows the cluster token with an
 * HMAC of the heartbeat's nonce. Each side's membership logic lives in {@code master.membership} and {@code
 * aux.cluster}, not here.
 */
package dev.dcache.common.cluster;
