package dev.dcache.common.wire;

/**
 * What an aux node did with one write.
 *
 * @param applied  false when the node already held this key at an equal or higher version
 * @param version  the version the node holds for the key afterwards; -1 when the record alone exceeds
 *                 the node's byte budget (nothing applied)
 * @param replayed an ordering write whose request id the node had seen: nothing was applied now, and
 *                 {@code version} is the one the earlier try was ordered with
 */
public record PutOutcome(boolean applied, long version, boolean replayed) {
    /** An outcome that is not a replay. */
    public PutOutcome(boolean applied, long version) {
        this(applied, version, false);
    }
}
