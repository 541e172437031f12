package dev.dcache.aux.cluster;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.RingSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class RingTrackerTest {
    private final FakeClock clock = new FakeClock();
    private final List<String> agreed = new ArrayList<>();
    private final AtomicInteger splits = new AtomicInteger();
    private final RingTracker tracker = new RingTracker(clock, r -> agreed.add(r.fingerprint()), splits::incrementAndGet);

    private static RingSpec ring(String... ids) {
        List<NodeAddress> nodes = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            nodes.add(new NodeAddress(ids[i], "h", 9000 + i));
        }
        return new RingSpec(nodes, 2, 16, new HashRing(List.of(ids), 16, HashFunction.FNV1A_MIX).fingerprint());
    }

    private static Heartbeat hb(String master, RingSpec ring) {
        return new Heartbeat(master, 1000, ring, List.of(), 8000, null, false);
    }

    @Test
    void heard_allMastersSameRing_reportsItOnce() {
        RingSpec r = ring("a", "b", "c");
        tracker.heard(hb("m1", r));
        tracker.heard(hb("m2", r));
        tracker.heard(hb("m1", r));
        assertThat(agreed).containsExactly(r.fingerprint());
    }

    @Test
    void heard_mastersDisagree_reportsNothingUntilTheyAgree() {
        RingSpec full = ring("a", "b", "c");
        RingSpec less = ring("a", "b");
        tracker.heard(hb("m1", full));
        tracker.heard(hb("m2", less));
        assertThat(agreed).containsExactly(full.fingerprint()); // m1 alone agreed first
        tracker.heard(hb("m1", less));
        assertThat(agreed).containsExactly(full.fingerprint(), less.fingerprint());
        assertThat(splits).hasValue(0);
    }

    @Test
    void heard_warmingUpMasterWithoutRing_doesNotBlockAgreement() {
        RingSpec r = ring("a", "b");
        tracker.heard(hb("m1", null));
        tracker.heard(hb("m2", r));
        assertThat(agreed).containsExactly(r.fingerprint());
    }

    @Test
    void heard_emptyRing_isNeverActedOn() {
        tracker.heard(hb("m1", ring()));
        assertThat(agreed).isEmpty();
        assertThat(tracker.agreed()).isNull();
    }

    @Test
    void lastingDisagreement_isASplit_andTheSameRingAfterwardsIsReportedAgain() {
        RingSpec full = ring("a", "b", "c");
        RingSpec less = ring("a", "c");
        tracker.heard(hb("m1", full));
        tracker.heard(hb("m2", full));
        for (int i = 0; i < 5; i++) { // m2 cannot reach b: they disagree for 5 intervals
            clock.advance(Duration.ofSeconds(1));
            tracker.heard(hb("m1", full));
            tracker.heard(hb("m2", less));
        }
        assertThat(splits).hasValue(1);
        clock.advance(Duration.ofSeconds(1));
        tracker.heard(hb("m2", full)); // healed: the old ring again
        assertThat(agreed).containsExactly(full.fingerprint(), full.fingerprint());
    }

    @Test
    void silentMasters_areForgotten_andMastersAliveTurnsFalse() {
        RingSpec r = ring("a", "b");
        tracker.heard(hb("m1", r));
        assertThat(tracker.mastersAlive()).isTrue();
        clock.advance(Duration.ofMillis(2500));
        assertThat(tracker.mastersAlive()).isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(tracker.agreed()).isNull();
    }

    private static Heartbeat hb(String master, RingSpec ring, boolean settled) {
        return new Heartbeat(master, 1000, ring, List.of(), 8000, null, false, 0L, false, settled);
    }

    @Test
    void settledOn_needsEveryMasterSettledOnTheRing_forTheWholeDelay() {
        RingSpec r = ring("a", "b", "c");
        tracker.heard(hb("m1", r, true));
        tracker.heard(hb("m2", r, false)); // m2 still writes to the last settled ring's owners too
        clock.advance(Duration.ofSeconds(5));
        tracker.heard(hb("m1", r, true));
        tracker.heard(hb("m2", r, false));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).isFalse();

        tracker.heard(hb("m2", r, true));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).as("m2 only just settled").isFalse();
        clock.advance(Duration.ofMillis(600));
        tracker.heard(hb("m1", r, true));
        tracker.heard(hb("m2", r, true));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).isFalse();
        clock.advance(Duration.ofMillis(600));
        tracker.heard(hb("m1", r, true));
        tracker.heard(hb("m2", r, true));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).isTrue();
        assertThat(tracker.settledOn(ring("a", "b").fingerprint(), 1000)).as("another ring").isFalse();
    }

    @Test
    void settledOn_restartsWhenAMastersRingChanges() {
        RingSpec r = ring("a", "b", "c");
        RingSpec less = ring("a", "b");
        tracker.heard(hb("m1", r, true));
        clock.advance(Duration.ofSeconds(2));
        tracker.heard(hb("m1", less, true));
        tracker.heard(hb("m1", r, true));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).isFalse();
        clock.advance(Duration.ofMillis(1500));
        tracker.heard(hb("m1", r, true));
        assertThat(tracker.settledOn(r.fingerprint(), 1000)).isTrue();
    }

    @Test
    void heartbeatWithoutSettledFlag_countsAsSettled() {
        assertThat(hb("m1", ring("a")).settled()).isTrue();
    }
}
