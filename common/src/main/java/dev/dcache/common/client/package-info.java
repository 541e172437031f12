/**
 * How masters (and aux nodes, for their peers) call aux nodes: the {@link
 * dev.dcache.common.client.AuxClient} interface, implemented by {@link
 * dev.dcache.common.client.HttpAuxClient} over the internal HTTP API and by {@link
 * dev.dcache.common.client.BinaryAuxClient}, which sends single-key calls as binary frames on pipelined
 * connections and the rest over HTTP. Every call is bounded and either answers or throws {@link
 * dev.dcache.common.client.AuxCallException}; {@link dev.dcache.common.client.WriteMode} says whether a
 * write is an ordering write or a copy. The message shapes are in {@code common.wire} and the frame codec
 * in {@code common.proto}.
 */
package dev.dcache.common.client;
