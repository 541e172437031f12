/**
 * The messages masters and aux nodes exchange, as JSON records: {@link dev.dcache.common.wire.Entry} (one
 * record; a null value is a tombstone), {@link dev.dcache.common.wire.Heartbeat} and {@link
 * dev.dcache.common.wire.HeartbeatReply}, {@link dev.dcache.common.wire.RingSpec}, the write outcomes
 * ({@link dev.dcache.common.wire.PutOutcome}, {@link dev.dcache.common.wire.DeleteOutcome}, {@link
 * dev.dcache.common.wire.BatchPutOutcome}), the anti-entropy {@link dev.dcache.common.wire.SyncRequest}
 * and {@link dev.dcache.common.wire.SyncReply}, and {@link dev.dcache.common.wire.InternalPaths}, the
 * routes of the internal API. They carry data with little logic: the clients that send them are in {@code
 * common.client}, the binary framing in {@code common.proto}.
 */
package dev.dcache.common.wire;
