package dev.dcache.common.wire;

/**
 * One aux node asks a peer to compare the records both own ({@link InternalPaths#SYNC}): anti-entropy
 * and the catch-up of a recovering node.
 *
 * <p>The key space is cut into {@code digests.length} buckets by the top bits of the ring's hash of
 * each key; a bucket's digest sums a mix of (key hash, version) over the asker's records in it that
 * both nodes own under {@code ring}, tombstones included. The peer computes the same over its own
 * records and answers with its records of every bucket whose digest differs, from
 * {@code fromBucket} on, as many as fit in one answer ({@link SyncReply#nextBucket()}).
 *
 * @param from       the asking node's id
 * @param ring       the ring both sides filter by (the one the masters agree on, as the asker knows it)
 * @param digests    the asker's digest per bucket; the length is a power of two
 * @param fromBucket the first bucket to answer for (paging)
 */
public record SyncRequest(String from, RingSpec ring, long[] digests, int fromBucket) {
}
