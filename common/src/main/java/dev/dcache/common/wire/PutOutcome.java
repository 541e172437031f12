package dev.dcache.common.wire;

/**
 * What an aux node did with one write.
 *
 * @param applied  false when the node already held this key at an equal or higher version
 * @param version  the version the node holds for the key afterwards; -1 when the record alone exceeds
 *                 the node's byte budget (nothing applied)
 * @param replayed an ordering write whose request id the node had seen: nothing was applied now, and
 *                 {@code version} is the one the earlier try was ordered with
 * @param rememberedMillis for an ordering write with a request id that is not a replay: how far back,
 *                 in milliseconds, the node remembers every request it ordered, so that no earlier
 *                 try of this request sent within that time was applied here; 0 when it cannot say
 *                 (see {@code aux.ordering.OrderedWrites})
 */
public record PutOutcome(boolean applied, long version, boolean replayed, long rememberedMillis) {
    /** An outcome that is not a replay. */
    public PutOutcome(boolean applied, long version) {
        this(applied, version, false, 0);
    }

    /** An outcome that vouches for no earlier try. */
    public PutOutcome(boolean applied, long version, boolean replayed) {
        this(applied, version, replayed, 0);
    }

    /** This outcome, vouching for the requests of the last {@code millis}. */
    public PutOutcome remembering(long millis) {
        return new PutOutcome(applied, version, replayed, millis);
    }
}
