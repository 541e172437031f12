/**
 * The aux node's side of the binary protocol: {@link dev.dcache.aux.proto.BinaryServer} accepts masters'
 * long-lived connections, one platform thread each, and serves single-key GET, PUT and DELETE frames
 * against the cache (ordering writes through {@code ordering.OrderedWrites}), answering not-serving while
 * the node does not serve reads. The frame codec is {@code common.proto.Frames}; batches and everything
 * else go through {@code api}.
 */
package dev.dcache.aux.proto;
