package dev.dcache.common.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an aux node did with one write.
 *
 * <p>On the HTTP transport the JSON keeps the shape older nodes read and write
 * ({@code applied}, {@code version}, {@code replayed}, {@code rememberedMillis}); a record too large
 * is answered there with 413, never as an outcome. The binary transport has a status per result.
 *
 * @param result           what happened, see {@link Result}
 * @param version          the version the node holds for the key afterwards (for {@link Result#REPLAYED},
 *                         the one the earlier try was ordered with); 0 for {@link Result#TOO_LARGE}
 * @param rememberedMillis for an ordering write with a request id that is not a replay: how far back,
 *                         in milliseconds, the node remembers every request it ordered, so that no
 *                         earlier try of this request sent within that time was applied here; 0 when
 *                         it cannot say (see {@code aux.ordering.OrderedWrites})
 */
public record PutOutcome(@JsonIgnore Result result, long version, long rememberedMillis) {
    /** What happened to a write. */
    public enum Result {
        /** Stored: the node held no version at or above it. */
        APPLIED,
        /** Not stored: the node already held this key at an equal or higher version ({@code version}). */
        SUPERSEDED,
        /**
         * An ordering write whose request id the node had seen: nothing was applied now, and
         * {@code version} is the one the earlier try was ordered with (it counts as applied).
         */
        REPLAYED,
        /** Not stored: the record alone exceeds the node's byte budget. */
        TOO_LARGE
    }

    private static final PutOutcome TOO_LARGE = new PutOutcome(Result.TOO_LARGE, 0, 0);

    public PutOutcome {
        if (result == null) {
            throw new IllegalArgumentException("result is required");
        }
    }

    /** The write was stored at {@code version}. */
    public static PutOutcome applied(long version) {
        return new PutOutcome(Result.APPLIED, version, 0);
    }

    /** The write was not stored: the node holds {@code held}, at least as high. */
    public static PutOutcome superseded(long held) {
        return new PutOutcome(Result.SUPERSEDED, held, 0);
    }

    /** A retry of an ordering write already applied at {@code version}. */
    public static PutOutcome replayed(long version) {
        return new PutOutcome(Result.REPLAYED, version, 0);
    }

    /** The record alone is larger than the node can hold. */
    public static PutOutcome ofTooLarge() {
        return TOO_LARGE;
    }

    /** Reads the HTTP transport's JSON. */
    @JsonCreator
    static PutOutcome fromJson(@JsonProperty("applied") boolean applied, @JsonProperty("version") long version,
                               @JsonProperty("replayed") boolean replayed,
                               @JsonProperty("rememberedMillis") long rememberedMillis) {
        Result result = replayed ? Result.REPLAYED : applied ? Result.APPLIED : Result.SUPERSEDED;
        return new PutOutcome(result, version, rememberedMillis);
    }

    /** True when the write is stored here: applied now, or by the earlier try it replays. */
    @JsonProperty("applied")
    public boolean applied() {
        return result == Result.APPLIED || result == Result.REPLAYED;
    }

    /** True for a retry of an ordering write already applied. */
    @JsonProperty("replayed")
    public boolean replayed() {
        return result == Result.REPLAYED;
    }

    /** True when the record alone exceeds the node's byte budget. */
    @JsonIgnore
    public boolean tooLarge() {
        return result == Result.TOO_LARGE;
    }

    /** This outcome, vouching for the requests of the last {@code millis}. */
    public PutOutcome remembering(long millis) {
        return new PutOutcome(result, version, millis);
    }
}
