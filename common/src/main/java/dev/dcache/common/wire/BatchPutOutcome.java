package dev.dcache.common.wire;

import java.util.List;

/**
 * What an aux node did with a batch of writes.
 *
 * @param applied    how many it applied
 * @param stale      how many it did not (an equal or newer version was held, or the record alone
 *                   exceeds the node's budget)
 * @param superseded the records not applied because the node held a newer version: the key and
 *                   the version held. Null from older nodes
 */
public record BatchPutOutcome(int applied, int stale, List<KeyVersion> superseded) {
    public BatchPutOutcome {
        superseded = superseded == null ? null : List.copyOf(superseded);
    }

    /** The outcome of an older node, which does not list the superseded records. */
    public BatchPutOutcome(int applied, int stale) {
        this(applied, stale, null);
    }
}
