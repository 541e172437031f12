/**
 * The binary protocol for single-key calls from masters to aux nodes: {@link
 * dev.dcache.common.proto.Frames} defines the length-prefixed, pipelined request and reply frames (ops,
 * statuses, limits) and reads and writes them. It is only the codec: the client is {@code
 * common.client.BinaryAuxClient}, the server {@code aux.proto.BinaryServer}, and batches and health stay
 * on the internal HTTP API.
 */
package dev.dcache.common.proto;
