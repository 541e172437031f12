package dev.dcache.common.wire;

/**
 * What an aux node did with a delete.
 *
 * @param existed  whether a live value was there before the tombstone
 * @param version  the version the node holds for the key afterwards: the delete's own when it was
 *                 applied, a higher one when a newer write was already there; 0 from older nodes,
 *                 which do not say (taken as applied)
 * @param replayed an ordering delete whose request id the node had seen: nothing was applied now;
 *                 {@code existed} and {@code version} are the earlier try's
 * @param rememberedMillis as in {@link PutOutcome#rememberedMillis}
 */
public record DeleteOutcome(boolean existed, long version, boolean replayed, long rememberedMillis) {
    /** An outcome that is not a replay. */
    public DeleteOutcome(boolean existed, long version) {
        this(existed, version, false, 0);
    }

    /** An outcome that vouches for no earlier try. */
    public DeleteOutcome(boolean existed, long version, boolean replayed) {
        this(existed, version, replayed, 0);
    }

    /** The outcome of an older node, which does not report the version it holds. */
    public DeleteOutcome(boolean existed) {
        this(existed, 0, false, 0);
    }

    /** This outcome, vouching for the requests of the last {@code millis}. */
    public DeleteOutcome remembering(long millis) {
        return new DeleteOutcome(existed, version, replayed, millis);
    }
}
