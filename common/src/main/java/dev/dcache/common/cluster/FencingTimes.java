package dev.dcache.common.cluster;

import java.time.Duration;

/**
 * The two waits that let a master write without an owner it cannot reach, and that owner know it
 * must not serve reads: both derived from the masters' heartbeat interval, here in one place,
 * because their relation is what makes it safe (see {@code dev.dcache.master.fencing.Fences} and
 * {@code dev.dcache.aux.recovery.Readiness}).
 */
public final class FencingTimes {
    /** The least silence that stops reads: shorter intervals would turn scheduling hiccups into recoveries. */
    public static final Duration MIN_SILENCE = Duration.ofSeconds(1);

    private FencingTimes() {
    }

    /**
     * How long an aux node may hear no master before it stops serving reads: two heartbeat
     * intervals (the longest any master uses), at least {@link #MIN_SILENCE}.
     */
    public static Duration silenceLimit(Duration heartbeatInterval) {
        Duration two = heartbeatInterval.multipliedBy(2);
        return two.compareTo(MIN_SILENCE) < 0 ? MIN_SILENCE : two;
    }

    /**
     * How long a master must have had no answer from an owner before it may write without it:
     * the silence limit, plus one interval (another master's heartbeat may have reached the node up
     * to an interval after this master's last answer), plus a quarter second of margin. By then the
     * owner refuses reads.
     */
    public static Duration fenceAfter(Duration heartbeatInterval) {
        return silenceLimit(heartbeatInterval).plus(heartbeatInterval).plusMillis(250);
    }
}
