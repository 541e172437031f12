package dev.dcache.system.history;

import java.util.Objects;

/**
 * One operation a client made on one key of the cache, as a system test recorded it: what was
 * asked, what came back, and the interval in which it happened.
 *
 * <p>Each key is a register whose state is either absent or a string. The fields a kind does not
 * use are fixed ({@code null}, {@code false}), and an {@link Outcome#UNKNOWN UNKNOWN} operation
 * carries no result at all, so two records that mean the same thing are equal. Build them with
 * {@link #write}, {@link #read} and {@link #delete}, or let a {@link History} record them.
 *
 * @param client      who made the call; for reading a rendered history only
 * @param key         the register
 * @param kind        what was asked
 * @param value       for a {@link Kind#WRITE WRITE} the value written (never {@code null}); for an
 *                    OK {@link Kind#READ READ} the value returned, {@code null} when the key was
 *                    absent; otherwise {@code null}
 * @param existed     for an OK {@link Kind#DELETE DELETE}: whether the key held a value (HTTP 200)
 *                    or not (404); otherwise {@code false}
 * @param invokedAt   {@link System#nanoTime()} taken before the request was sent
 * @param completedAt {@link System#nanoTime()} taken after the answer came back, or when the
 *                    client gave up; the checker ignores it for an UNKNOWN write or delete
 * @param outcome     whether the result is known
 */
public record Op(int client, String key, Kind kind, String value, boolean existed, long invokedAt,
                 long completedAt, Outcome outcome) {

    /** What the client asked for. */
    public enum Kind {
        /** Set the register to a value. */
        WRITE,
        /** Return the register's state. */
        READ,
        /** Make the register absent, telling whether it held a value. */
        DELETE
    }

    /** Whether the client knows what happened. */
    public enum Outcome {
        /** Completed with the recorded result. */
        OK,
        /**
         * Timeout, 5xx, connection error: a write or delete may have taken effect at any time after
         * its invocation, or never; a read tells nothing.
         */
        UNKNOWN
    }

    /**
     * @throws NullPointerException     if key, kind or outcome is null
     * @throws IllegalArgumentException if the interval ends before it starts, or a field the kind
     *                                  and outcome do not use is set, or a write has no value
     */
    public Op {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        // nanoTime values may be negative; only their difference means anything
        if (completedAt - invokedAt < 0) {
            throw new IllegalArgumentException("completedAt " + completedAt + " is before invokedAt " + invokedAt);
        }
        boolean valueAllowed = kind == Kind.WRITE || (kind == Kind.READ && outcome == Outcome.OK);
        if (kind == Kind.WRITE && value == null) {
            throw new IllegalArgumentException("a write needs a value (key " + key + ", client " + client + ")");
        }
        if (!valueAllowed && value != null) {
            throw new IllegalArgumentException(outcome + " " + kind + " cannot carry value " + value);
        }
        if (existed && !(kind == Kind.DELETE && outcome == Outcome.OK)) {
            throw new IllegalArgumentException(outcome + " " + kind + " cannot carry existed=true");
        }
    }

    /** A write of {@code value}. */
    public static Op write(int client, String key, String value, long invokedAt, long completedAt, Outcome outcome) {
        return new Op(client, key, Kind.WRITE, value, false, invokedAt, completedAt, outcome);
    }

    /** An OK read that returned {@code returned} ({@code null}: absent). */
    public static Op read(int client, String key, String returned, long invokedAt, long completedAt) {
        return new Op(client, key, Kind.READ, returned, false, invokedAt, completedAt, Outcome.OK);
    }

    /** An OK delete that found the key holding a value ({@code existed}) or absent. */
    public static Op delete(int client, String key, boolean existed, long invokedAt, long completedAt) {
        return new Op(client, key, Kind.DELETE, null, existed, invokedAt, completedAt, Outcome.OK);
    }

    /** A read or delete whose result the client does not know. */
    public static Op unknown(int client, String key, Kind kind, long invokedAt, long completedAt) {
        if (kind == Kind.WRITE) {
            throw new IllegalArgumentException("an UNKNOWN write needs its value: use Op.write");
        }
        return new Op(client, key, kind, null, false, invokedAt, completedAt, Outcome.UNKNOWN);
    }

    /** Whether this operation may change the state: any write or delete, known or not. */
    boolean mutates() {
        return kind != Kind.READ;
    }

    /**
     * Whether this operation's recorded result depends on the state {@code mutator} may have left:
     * an OK read of the value it wrote or of the absence it made, or an OK delete that found what
     * it left.
     */
    boolean mayObserve(Op mutator) {
        if (outcome != Outcome.OK || kind == Kind.WRITE || !mutator.mutates()) {
            return false;
        }
        boolean sawValue = kind == Kind.READ ? value != null : existed;
        if (mutator.kind == Kind.DELETE) {
            return !sawValue;
        }
        return kind == Kind.READ ? mutator.value.equals(value) : existed;
    }

    /** Whether this operation completed before {@code other} was invoked, so it is ordered first. */
    boolean precedes(Op other) {
        return !(outcome == Outcome.UNKNOWN && mutates()) && completedAt - other.invokedAt < 0;
    }
}
