/**
 * This aux node's part in the cluster: {@link dev.dcache.aux.cluster.ClusterAgent} answers masters'
 * heartbeats, sends moved records to a master's backup and hands everything over when the node drains at
 * shutdown; {@link dev.dcache.aux.cluster.RingTracker} acts on a ring only once every master heard from
 * recently agrees on it; {@link dev.dcache.aux.cluster.Rebalancer} moves the node's own records to where a
 * new ring places them. Whether the node serves reads is {@code recovery}, and repairing differences with
 * co-owners is {@code antientropy}.
 */
package dev.dcache.aux.cluster;
