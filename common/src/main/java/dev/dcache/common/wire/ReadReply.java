package dev.dcache.common.wire;

/**
 * An aux node's answer to a single-key read.
 *
 * @param entry   the live entry, a tombstone ({@link Entry#isTombstone()}), or null when the node
 *                holds nothing for the key; always null when {@code serving} is false
 * @param serving false when the node does not answer reads right now (it is catching up on writes
 *                it may have missed, or draining): the caller must ask another owner
 */
public record ReadReply(Entry entry, boolean serving) {
    /** The answer of a node that does not serve reads now. */
    public static final ReadReply NOT_SERVING = new ReadReply(null, false);

    /** A serving node's answer. */
    public static ReadReply of(Entry entry) {
        return new ReadReply(entry, true);
    }
}
