package dev.dcache.common.wire;

import java.util.List;

/**
 * A peer's answer to a {@link SyncRequest}.
 *
 * @param rebuilding the peer itself is rebuilding after a long absence: its records say only which
 *                   keys it holds, and must not be applied anywhere (see
 *                   {@code dev.dcache.aux.recovery.Readiness})
 * @param buckets    the differing buckets this answer covers, ascending
 * @param entries    the peer's records (values and tombstones) in those buckets that both nodes own
 * @param nextBucket where to ask from for the rest, or -1 when the comparison is complete
 */
public record SyncReply(boolean rebuilding, int[] buckets, List<Entry> entries, int nextBucket) {
}
