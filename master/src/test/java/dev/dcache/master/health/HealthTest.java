package dev.dcache.master.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dcache.master.health.Health.Probe;
import dev.dcache.master.health.Health.Verdict;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HealthTest {
    private final Health health = new Health(3, 2);

    @Test
    void anUpNode_isEjectedAtTheThirdFailureInARow_onlyOnceItMayBe() {
        health.track("a");
        assertThat(health.probe("a", true, Probe.FAILED, () -> true)).isNull();
        assertThat(health.probe("a", true, Probe.ANSWERED, () -> true)).isNull(); // the run starts again
        assertThat(health.probe("a", true, Probe.FAILED, () -> true)).isNull();
        assertThat(health.probe("a", true, Probe.FAILED, () -> true)).isNull();
        assertThat(health.probe("a", true, Probe.FAILED, () -> false)).isNull(); // not fenced yet
        Verdict v = health.probe("a", true, Probe.FAILED, () -> true);
        assertThat(v).isEqualTo(new Verdict(false, "4 failed heartbeats in a row"));
        assertThat(health.failures()).isEqualTo(5);
    }

    @Test
    void aDownNode_isReadmittedAfterTwoGoodHeartbeatsInARow() {
        health.track("a");
        assertThat(health.probe("a", false, Probe.ANSWERED, () -> true)).isNull();
        assertThat(health.probe("a", false, Probe.FAILED, () -> true)).isNull();
        assertThat(health.probe("a", false, Probe.ANSWERED, () -> true)).isNull();
        assertThat(health.probe("a", false, Probe.ANSWERED, () -> true))
                .isEqualTo(new Verdict(true, "2 good heartbeats in a row"));
    }

    @Test
    void aDrainingNode_isEjectedAtOnce_andMustThenProveItselfAgain() {
        health.track("a");
        assertThat(health.probe("a", true, Probe.DRAINING, () -> false)).isEqualTo(
                new Verdict(false, "it is draining (graceful shutdown)"));
        assertThat(health.probe("a", false, Probe.DRAINING, () -> true)).isNull();
        assertThat(health.probe("a", false, Probe.ANSWERED, () -> true)).isNull();
    }

    @Test
    void aBurstOfFailedCalls_makesTheNodeSuspectOnce_untilAHeartbeatSucceeds() {
        health.track("a");
        assertThat(health.suspect("a")).isTrue();
        assertThat(health.suspect("a")).isFalse();
        assertThat(health.isSuspect("a")).isTrue();
        health.probe("a", true, Probe.ANSWERED, () -> true);
        assertThat(health.isSuspect("a")).isFalse();
        assertThat(health.suspect("a")).isTrue();
    }

    @Test
    void anUntrackedNode_getsNoVerdict_andCountsNoFailure() {
        health.track("a");
        health.retain(Set.of("b"));
        assertThat(health.probe("a", true, Probe.FAILED, () -> true)).isNull();
        assertThat(health.probe("z", true, Probe.FAILED, () -> true)).isNull();
        assertThat(health.failures()).isZero();
    }
}
