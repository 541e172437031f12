package dev.dcache.master.stall;

import dev.dcache.master.metrics.MasterMetrics;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.LongSupplier;

/**
 * Notices when this master stopped running for a while, and refuses the writes that were sent to
 * it before such a stall and reached it too late to be applied.
 *
 * <h2>The case</h2>
 * A master paused (SIGSTOP, a long stop-the-world GC, a stuck host) keeps its sockets: the
 * kernel still accepts connections and buffers requests, and nothing answers. nginx waits its
 * {@code proxy_read_timeout} (1 s on the single-key routes), then answers the client 504 (POST),
 * or retries on another master (GET, DELETE). When the master runs again it reads those buffered
 * requests and would apply them then, with a version from that moment: a write the client was
 * told had timed out lands after all, and can overwrite a newer value written since through the
 * other master; a DELETE already done elsewhere deletes again, possibly a newer value.
 *
 * <h2>The rule</h2>
 * A write is refused (503, not applied) when (1) nginx sent it ({@link RequestStart}) more than
 * {@code staleAfter} ago, so nginx has given up on it, and (2) this master stalled after it was
 * sent. (2) matters because nginx sets the time once per client request: a DELETE it retries on a
 * healthy master arrives there with the first try's time, older than {@code staleAfter}, and must
 * be applied. A stall is a gap in a ticker thread's beats ({@link #tick}, every {@code beat})
 * longer than {@code gap}; the check also counts a beat overdue right now as a stall, since right
 * after a pause the thread reading requests may run before the ticker does.
 *
 * <h2>What it does not cover</h2>
 * A write already being applied when the stall began completes after it. A master that is slow
 * without stopping (its request queue longer than nginx waits) applies late writes: the ticker
 * beats on. And a request without the header (straight to a master, not through nginx) is never
 * refused. Time is read through the given sources (tests drive them; the thread uses the real ones).
 */
public final class StallWatch implements AutoCloseable, MasterMetrics.StallReadings {
    private final InstantSource clock;
    private final LongSupplier nanos;
    private final long staleAfterMillis;
    private final long gapNanos;
    private final Thread ticker;
    /** When the last beat ran ({@code nanos}). */
    private volatile long lastBeatNanos;
    /** When the last stall seen by a beat ended ({@code clock} millis); 0 before any. */
    private volatile long lastStallEndMillis;
    private volatile long stalls;

    /**
     * @param staleAfter {@code MASTER_STALE_WRITE_MS}; zero turns the check off
     * @param beat       how often the ticker runs; null: no thread (tests call {@link #tick})
     * @param gap        a pause between beats longer than this is a stall
     */
    public StallWatch(InstantSource clock, LongSupplier nanos, Duration staleAfter, Duration beat, Duration gap) {
        this.clock = clock;
        this.nanos = nanos;
        this.staleAfterMillis = staleAfter.toMillis();
        this.gapNanos = gap.toNanos();
        this.lastBeatNanos = nanos.getAsLong();
        if (beat == null || staleAfterMillis == 0) {
            this.ticker = null;
        } else {
            long sleep = beat.toMillis();
            this.ticker = Thread.ofPlatform().daemon().name("stall-watch").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(sleep);
                    } catch (InterruptedException e) {
                        return;
                    }
                    tick();
                }
            });
        }
    }

    /** A master's watch: beats every 50 ms, a gap over 300 ms is a stall. */
    public static StallWatch start(InstantSource clock, Duration staleAfter) {
        return new StallWatch(clock, System::nanoTime, staleAfter, Duration.ofMillis(50), Duration.ofMillis(300));
    }

    /** One beat of the ticker: records a stall when the previous beat is longer ago than the gap. */
    public void tick() {
        long now = nanos.getAsLong();
        if (now - lastBeatNanos > gapNanos) {
            lastStallEndMillis = clock.millis();
            stalls++;
        }
        lastBeatNanos = now;
    }

    /** Stalls seen so far. */
    @Override
    public long stalls() {
        return stalls;
    }

    /**
     * True while this master is in a stall or just out of one the ticker has not beaten after yet:
     * right after a pause, request threads may run before the ticker.
     */
    public boolean stalledNow() {
        return ticking() && nanos.getAsLong() - lastBeatNanos > gapNanos;
    }

    /** Beats run: by the ticker thread, or by a test calling {@link #tick} (no check when turned off). */
    private boolean ticking() {
        return staleAfterMillis != 0;
    }

    /**
     * How long ago nginx sent a write carrying {@code requestStart} when that write must be
     * refused (see the class comment), else -1.
     */
    public long lateMillis(String requestStart) {
        if (staleAfterMillis == 0) {
            return -1;
        }
        long now = clock.millis();
        long age = RequestStart.millis(requestStart, now);
        if (age <= staleAfterMillis) {
            return -1;
        }
        long sent = now - age;
        boolean stalledNow = nanos.getAsLong() - lastBeatNanos > gapNanos;
        return stalledNow || lastStallEndMillis > sent ? age : -1;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.interrupt();
        }
    }
}
