/**
 * The ring this master routes by: {@link dev.dcache.master.ring.ClusterView} (members, their {@link
 * dev.dcache.master.ring.NodeState}, the {@code common.ring.HashRing} over the ones up, and each key's
 * owners), immutable, and {@link dev.dcache.master.ring.ViewPublisher}, which builds a new one on every
 * change and publishes it atomically. Which nodes are members and up is decided in {@code membership}.
 */
package dev.dcache.master.ring;
