package dev.dcache.common.time;

/**
 * A monotonic time source in nanoseconds, for deadlines and durations (after Caffeine's
 * {@code Ticker}). {@link java.time.InstantSource} is the wall clock, in milliseconds, and may step
 * back; a ticker only moves forward, and only differences between two readings mean anything.
 *
 * <p>Main code reads time through an injected ticker ({@link #system()} in production); tests pass
 * one they advance by hand, so deadlines pass without waiting for them.
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds since some fixed but arbitrary origin; never less than an earlier reading. */
    long read();

    /** The JVM's monotonic clock, {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
