package dev.dcache.aux.recovery;

import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/** When an aux node serves reads, and when it must catch up first. Time is a fake clock throughout. */
class ReadinessTest {
    private static final long INTERVAL = 1000;
    private final FakeClock clock = new FakeClock();
    private final Readiness readiness = new Readiness(clock::nanos, clock, Duration.ofMinutes(5));

    private void tick(long millis) {
        clock.advance(Duration.ofMillis(millis));
    }

    /** Both masters heartbeat once per interval, unfenced, for {@code rounds} intervals. */
    private void heartbeats(int rounds, long firstSeq) {
        for (int i = 0; i < rounds; i++) {
            readiness.heard("m-1", firstSeq + i, INTERVAL, false);
            readiness.heard("m-2", firstSeq + i, INTERVAL, false);
            tick(INTERVAL);
        }
    }

    /** Heartbeats until a catch-up may start, then reports it done. */
    private void catchUp(long firstSeq) {
        heartbeats(3, firstSeq);
        OptionalLong epoch = readiness.readyToSync();
        assertThat(epoch).isPresent();
        assertThat(readiness.synced(epoch.getAsLong(), true)).isTrue();
    }

    @Test
    void start_servesNoRead_untilMastersWereHeardForTwoIntervals_andACatchUpCompleted() {
        assertThat(readiness.serving()).isFalse();
        assertThat(readiness.readyToSync()).as("no master heard yet").isEmpty();

        heartbeats(1, 1);
        assertThat(readiness.readyToSync()).as("one interval: another master may not have spoken yet").isEmpty();
        heartbeats(1, 2);
        OptionalLong epoch = readiness.readyToSync();
        assertThat(epoch).isPresent();
        assertThat(readiness.serving()).as("allowed to catch up is not caught up").isFalse();

        assertThat(readiness.synced(epoch.getAsLong(), true)).isTrue();
        assertThat(readiness.serving()).isTrue();
        assertThat(readiness.recoveries()).isEqualTo(1);
    }

    @Test
    void silenceOfEveryMasterForTwoIntervals_stopsReads_atTheFirstReadAfterIt() {
        catchUp(1);
        readiness.heard("m-2", 10, INTERVAL, false);
        tick(1900);
        assertThat(readiness.serving()).as("1.9 s since the last heartbeat").isTrue();
        tick(200);
        assertThat(readiness.serving()).as("a node paused or cut off for 3 s may have missed writes").isFalse();
        assertThat(readiness.reason()).startsWith("no master heard");
        assertThat(readiness.latches()).isEqualTo(2);
    }

    @Test
    void aHeartbeatAfterSilence_latchesBeforeItCounts_soAPausedNodeNeverServesTheReadsQueuedDuringThePause() {
        catchUp(1);
        tick(5000); // SIGSTOP: nothing runs, heartbeats queue up in the socket
        readiness.heard("m-1", 20, INTERVAL, false); // the queued heartbeat is processed first
        assertThat(readiness.serving()).as("the gap is seen by the heartbeat, not only by a read").isFalse();
    }

    @Test
    void aFencingMaster_stopsReadsAtOnce_andTheNodeWaitsUntilEveryMasterStopsFencing() {
        catchUp(1);
        readiness.heard("m-1", 10, INTERVAL, true);
        assertThat(readiness.serving()).isFalse();
        assertThat(readiness.reason()).contains("m-1 fences");

        readiness.heard("m-2", 10, INTERVAL, false);
        tick(INTERVAL);
        readiness.heard("m-1", 11, INTERVAL, true);
        readiness.heard("m-2", 11, INTERVAL, false);
        tick(INTERVAL);
        readiness.heard("m-1", 12, INTERVAL, true);
        readiness.heard("m-2", 12, INTERVAL, false);
        assertThat(readiness.readyToSync()).as("m-1 still may write without this node").isEmpty();

        tick(INTERVAL);
        readiness.heard("m-1", 13, INTERVAL, false);
        readiness.heard("m-2", 13, INTERVAL, false);
        assertThat(readiness.readyToSync()).isPresent();
    }

    @Test
    void aDelayedHeartbeat_withAnOlderRoundNumber_doesNotUndoANewerFence() {
        catchUp(1);
        readiness.heard("m-1", 10, INTERVAL, true);
        readiness.heard("m-2", 10, INTERVAL, false);
        tick(INTERVAL);
        readiness.heard("m-1", 9, INTERVAL, false); // sent before the fence, delivered after it
        readiness.heard("m-2", 11, INTERVAL, false);
        tick(INTERVAL);
        readiness.heard("m-2", 12, INTERVAL, false);
        tick(INTERVAL);
        assertThat(readiness.readyToSync()).as("m-1's newest word is still the fence").isEmpty();
    }

    @Test
    void aCatchUpOverlappedByANewLatch_doesNotCount() {
        heartbeats(3, 1);
        OptionalLong epoch = readiness.readyToSync();
        assertThat(epoch).isPresent();
        readiness.heard("m-1", 4, INTERVAL, true); // a master fences the node while it catches up
        assertThat(readiness.synced(epoch.getAsLong(), true)).isFalse();
        assertThat(readiness.serving()).isFalse();
    }

    @Test
    void aMasterThatDied_isForgottenAfterThreeIntervals_andNoLongerHoldsTheNodeBack() {
        catchUp(1);
        readiness.heard("m-1", 10, INTERVAL, true); // m-1 fences the node, then dies
        for (int i = 0; i < 4; i++) {
            tick(INTERVAL);
            readiness.heard("m-2", 11 + i, INTERVAL, false);
        }
        assertThat(readiness.readyToSync()).as("m-1 silent for over three intervals").isPresent();
    }

    @Test
    void silenceLongerThanHalfTheTombstoneTtl_makesTheNodeRebuild_andARebuildNeedsARingWithTheNode() {
        catchUp(1);
        tick(Duration.ofMinutes(3).toMillis()); // cut off for 3 min > 2.5 min
        assertThat(readiness.serving()).isFalse();
        assertThat(readiness.rebuilding()).isTrue();
        heartbeats(3, 100);
        OptionalLong epoch = readiness.readyToSync();
        assertThat(epoch).isPresent();
        assertThat(readiness.synced(epoch.getAsLong(), false)).as("its records were checked against no owner").isFalse();
        assertThat(readiness.synced(epoch.getAsLong(), true)).isTrue();
        assertThat(readiness.rebuilding()).isFalse();
    }

    @Test
    void aSnapshotOlderThanHalfTheTombstoneTtl_makesTheNodeRebuild_aYoungerOneDoesNot() {
        Readiness fresh = new Readiness(clock::nanos, clock, Duration.ofMinutes(5));
        fresh.restoredFrom(clock.millis() - Duration.ofMinutes(2).toMillis());
        assertThat(fresh.rebuilding()).isFalse();

        Readiness old = new Readiness(clock::nanos, clock, Duration.ofMinutes(5));
        old.restoredFrom(clock.millis() - Duration.ofMinutes(3).toMillis());
        assertThat(old.rebuilding()).isTrue();
    }

    @Test
    void asOf_isNowWhileServing_andTheLastContactBeforeTheLatchWhileRecovering() {
        catchUp(1);
        long lastContact = clock.millis();
        readiness.heard("m-1", 10, INTERVAL, false);
        lastContact = clock.millis();
        tick(10_000);
        assertThat(readiness.serving()).isFalse();
        tick(10_000);
        assertThat(readiness.asOfMillis()).isEqualTo(lastContact);
    }

    @Test
    void draining_stopsReadsForGood() {
        catchUp(1);
        readiness.drain();
        assertThat(readiness.serving()).isFalse();
        heartbeats(3, 50);
        assertThat(readiness.readyToSync()).isEmpty();
    }
}
