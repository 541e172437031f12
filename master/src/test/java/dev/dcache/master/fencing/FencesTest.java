package dev.dcache.master.fencing;

import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** When a write may leave an owner out, and what heartbeats tell the node. Fake clock throughout. */
class FencesTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private final FakeClock clock = new FakeClock();
    private final Fences fences = new Fences(clock::nanos, Fences.fenceAfter(INTERVAL), Duration.ofSeconds(6));

    @Test
    void fenceAfter_isThreeIntervalsAndAQuarterSecond_longerThanANodeWaitsBeforeRefusingReads() {
        assertThat(Fences.fenceAfter(INTERVAL)).isEqualTo(Duration.ofMillis(3250));
    }

    @Test
    void skip_isRefusedWhileTheNodeWasHeardRecently_andGrantedOnceItWasNotForTheFenceWait() {
        fences.answered("a", clock.nanos(), false);
        clock.advance(Duration.ofMillis(3249));
        assertThat(fences.skip("a")).as("it may still be serving reads to other masters").isNull();
        assertThat(fences.mayEject("a")).isFalse();
        clock.advance(Duration.ofMillis(1));
        Fences.Skip skip = fences.skip("a");
        assertThat(skip).isNotNull();
        assertThat(fences.mayEject("a")).isTrue();
        assertThat(fences.flag("a")).isTrue();
        skip.close();
    }

    @Test
    void skip_ofANodeThatRefusedTheConnection_isGrantedAtOnce_andFlagsIt() {
        fences.answered("a", clock.nanos(), false);
        assertThat(fences.skip("a", false)).as("a timeout: it may be alive and serving").isNull();
        Fences.Skip skip = fences.skip("a", true);
        assertThat(skip).as("nothing listens on its port: it serves no reads").isNotNull();
        assertThat(fences.flag("a")).as("a restarted process hears it missed writes").isTrue();
        skip.close();
        assertThat(fences.flag("a")).as("until a flagged heartbeat is answered").isTrue();
        fences.answered("a", clock.nanos(), true);
        assertThat(fences.flag("a")).isFalse();
    }

    @Test
    void theFlag_staysUpUntilAFlaggedHeartbeatWasAnswered_andNoSkippingWriteIsInFlight() {
        fences.answered("a", clock.nanos(), false);
        clock.advance(Duration.ofSeconds(4));
        Fences.Skip inFlight = fences.skip("a");
        assertThat(inFlight).isNotNull();

        fences.answered("a", clock.nanos(), false); // an answer to a heartbeat that did not carry the flag
        assertThat(fences.flag("a")).as("the node has not heard it is fenced").isTrue();

        fences.answered("a", clock.nanos(), true);
        assertThat(fences.flag("a")).as("a write that left it out is still in flight").isTrue();
        assertThat(fences.skip("a")).as("lifted: a new failure needs a new fence wait").isNull();

        inFlight.close();
        inFlight.close(); // closing twice counts once
        assertThat(fences.flag("a")).isFalse();
    }

    @Test
    void aNodeOffTheRing_isFlagged_andStaysFlaggedForAWriteDeadlineAfterItIsBack() {
        fences.routedWithout("a");
        assertThat(fences.flag("a")).isTrue();
        fences.routedWith("a");
        clock.advance(Duration.ofMillis(5999));
        assertThat(fences.flag("a")).as("a write routed by the older ring may still run").isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(fences.flag("a")).isFalse();
        assertThat(fences.flagged()).isZero();
    }

    @Test
    void aNodeNeverOffTheRing_isNotFlagged_whenItJoins() {
        fences.routedWith("a");
        assertThat(fences.flag("a")).isFalse();
    }
}
