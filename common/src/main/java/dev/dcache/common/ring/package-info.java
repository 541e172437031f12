/**
 * Key placement: {@link dev.dcache.common.ring.HashRing}, an immutable consistent-hash ring with virtual
 * nodes whose fingerprint shows whether two masters route every key alike, and {@link
 * dev.dcache.common.ring.NodeAddress}, an aux node's ring id with its host and port (written {@code
 * [id@]host:port}). Which nodes are on the ring is decided by {@code master.membership.Membership}; the hash
 * is in {@code common.hash}.
 */
package dev.dcache.common.ring;
