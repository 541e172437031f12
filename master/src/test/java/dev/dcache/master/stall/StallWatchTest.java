package dev.dcache.master.stall;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class StallWatchTest {
    private static final long T0 = 1_765_000_000_000L;
    private final AtomicLong millis = new AtomicLong(T0);
    private final AtomicLong nanos = new AtomicLong(0);
    private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());
    private final StallWatch watch = new StallWatch(clock, nanos::get, Duration.ofMillis(1000), null,
            Duration.ofMillis(300));

    /** Advances both clocks, the ticker beating every 50 ms unless {@code stalled}. */
    private void pass(long ms, boolean stalled) {
        for (long done = 0; done < ms; done += 50) {
            millis.addAndGet(50);
            nanos.addAndGet(50_000_000L);
            if (!stalled) {
                watch.tick();
            }
        }
    }

    private static String sentAt(long epochMillis) {
        return "t=" + epochMillis / 1000 + "." + String.format("%03d", epochMillis % 1000);
    }

    @Test
    void lateMillis_writeSentBeforeAStallAndReadAfterIt_isLate() {
        String header = sentAt(millis.get());
        pass(3000, true); // paused: no beats
        // read right after the pause, before the ticker ran: the overdue beat counts
        assertThat(watch.lateMillis(header)).isEqualTo(3000);
        pass(100, false);
        assertThat(watch.lateMillis(header)).isEqualTo(3100);
        assertThat(watch.stalls()).isEqualTo(1);
    }

    @Test
    void lateMillis_oldWriteButNoStallHere_isApplied() {
        // a DELETE nginx retried here after the other master timed out: old, but this master ran throughout
        String header = sentAt(millis.get());
        pass(1500, false);
        assertThat(watch.lateMillis(header)).isEqualTo(-1);
    }

    @Test
    void lateMillis_stallOverBeforeTheWriteWasSent_isApplied() {
        pass(2000, true);
        pass(200, false); // the stall ended and a beat saw it
        String header = sentAt(millis.get());
        pass(1200, false);
        assertThat(watch.lateMillis(header)).isEqualTo(-1);
    }

    @Test
    void lateMillis_youngWriteOrNoHeader_isApplied() {
        String header = sentAt(millis.get());
        pass(900, true);
        assertThat(watch.lateMillis(header)).isEqualTo(-1); // nginx still waits for it
        assertThat(watch.lateMillis(null)).isEqualTo(-1);
        assertThat(watch.lateMillis("garbage")).isEqualTo(-1);
    }

    @Test
    void lateMillis_checkOff_neverLate() {
        StallWatch off = new StallWatch(clock, nanos::get, Duration.ZERO, null, Duration.ofMillis(300));
        String header = sentAt(millis.get());
        pass(5000, true);
        assertThat(off.lateMillis(header)).isEqualTo(-1);
    }
}
