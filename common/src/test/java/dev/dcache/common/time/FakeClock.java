package dev.dcache.common.time;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock tests move by hand, both the wall clock and the {@link Ticker}; thread-safe. Shared with
 * other modules through the test-jar.
 */
public final class FakeClock implements InstantSource, Ticker {
    private final AtomicLong millis;

    public FakeClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    /** Starts at 2026-01-01T00:00:00Z. */
    public FakeClock() {
        this(1_767_225_600_000L);
    }

    public void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    public void set(long epochMillis) {
        millis.set(epochMillis);
    }

    /** A monotonic reading in nanoseconds that moves with this clock, for code timed with {@code System::nanoTime}. */
    public long nanos() {
        return millis.get() * 1_000_000L;
    }

    /** {@link #nanos()}: as a {@link Ticker} this clock moves when it is advanced, and only then. */
    @Override
    public long read() {
        return nanos();
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }
}
