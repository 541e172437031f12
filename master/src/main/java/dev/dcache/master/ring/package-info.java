/**
 * The ring this master routes by: the immutable {@link dev.dcache.master.ring.ClusterView} (members, their
 * states, the ring over the ones up, a key's owners) and {@link dev.dcache.master.ring.ViewPublisher}, which
 * builds a new one on every change and publishes it atomically.
 */
package dev.dcache.master.ring;
