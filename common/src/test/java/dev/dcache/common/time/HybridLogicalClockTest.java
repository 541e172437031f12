package dev.dcache.common.time;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

class HybridLogicalClockTest {
    private static final int SHIFT = HybridLogicalClock.TAG_BITS + HybridLogicalClock.COUNTER_BITS;

    private final FakeClock clock = new FakeClock();

    private static void assertStrictlyIncreasing(long[] versions) {
        for (int i = 1; i < versions.length; i++) {
            if (versions[i] <= versions[i - 1]) {
                fail("version " + i + " (" + versions[i] + ") does not exceed the one before (" + versions[i - 1] + ")");
            }
        }
    }

    @Test
    void next_clockStandingStill_strictlyIncreases() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");

        long[] versions = new long[10_000]; // more than the 4096 a millisecond's counter holds
        for (int i = 0; i < versions.length; i++) {
            versions[i] = hlc.next();
        }

        assertStrictlyIncreasing(versions);
        assertThat(versions[0]).isPositive();
    }

    @Test
    void next_counterExhausted_carriesIntoNextMillisecond() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        long now = clock.millis();

        long last = 0;
        for (int i = 0; i < 1 << HybridLogicalClock.COUNTER_BITS; i++) {
            last = hlc.next();
            assertThat(HybridLogicalClock.millisOf(last)).isEqualTo(now);
        }
        long carried = hlc.next();

        assertThat(carried).isGreaterThan(last);
        assertThat(HybridLogicalClock.millisOf(carried)).isEqualTo(now + 1);
    }

    @Test
    void next_clockStepsBack_stillStrictlyIncreases() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        long before = hlc.next();

        clock.advance(Duration.ofSeconds(-30));
        long afterStepBack = hlc.next();
        clock.advance(Duration.ofMillis(-1));
        long afterSecondStep = hlc.next();

        assertThat(afterStepBack).isGreaterThan(before);
        assertThat(afterSecondStep).isGreaterThan(afterStepBack);
        assertThat(HybridLogicalClock.millisOf(afterSecondStep)).isEqualTo(HybridLogicalClock.millisOf(before));
    }

    @Test
    void next_wallClockCatchesUpAfterStepBack_followsWallClockAgain() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        long start = clock.millis();
        long before = hlc.next();
        clock.set(start - 5_000);
        hlc.next();

        clock.set(start + 1);
        long caughtUp = hlc.next();

        assertThat(caughtUp).isGreaterThan(before);
        assertThat(HybridLogicalClock.millisOf(caughtUp)).isEqualTo(start + 1);
    }

    @Test
    void next_wallClockMoves_versionCarriesItsMillisecond() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");

        for (int i = 0; i < 100; i++) {
            clock.advance(Duration.ofMillis(7));
            long version = hlc.next();
            assertThat(HybridLogicalClock.millisOf(version)).isEqualTo(clock.millis());
        }
    }

    @Test
    void millisOf_versionIssuedAtKnownTime_roundTrips() {
        long[] instants = {0, 1, 1_767_225_600_000L, 4_102_444_800_000L /* 2100-01-01 */};
        for (long millis : instants) {
            clock.set(millis);
            HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");

            long version = hlc.next();

            assertThat(HybridLogicalClock.millisOf(version)).isEqualTo(millis);
            assertThat(version).isNotNegative();
        }
    }

    @Test
    @Timeout(30)
    void next_fourThreadsSharingClock_neverRepeats() throws Exception {
        int threads = 4;
        int perThread = 100_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // races are rare on few cores: a few rounds make a lost update all but certain to show
            for (int round = 0; round < 8; round++) {
                issueConcurrently(new HybridLogicalClock(clock, "master-1"), pool, threads, perThread);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void issueConcurrently(HybridLogicalClock hlc, ExecutorService pool, int threads, int perThread)
            throws Exception {
        // spin rather than park at the start line, so the threads really overlap: a 100k run
        // lasts about a millisecond, not much longer than waking a parked thread
        AtomicInteger ready = new AtomicInteger();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                long[] issued = new long[perThread];
                ready.incrementAndGet();
                while (ready.get() < threads) {
                    Thread.onSpinWait();
                }
                for (int i = 0; i < perThread; i++) {
                    if (thread == 0 && i % 1_000 == 0) {
                        // the wall clock wanders, also backwards, while the others issue
                        clock.advance(Duration.ofMillis(i % 3_000 == 0 ? -2 : 1));
                    }
                    issued[i] = hlc.next();
                }
                return issued;
            }));
        }

        long[] all = new long[threads * perThread];
        for (int t = 0; t < threads; t++) {
            long[] issued = futures.get(t).get();
            assertStrictlyIncreasing(issued);
            System.arraycopy(issued, 0, all, t * perThread, perThread);
        }
        Arrays.sort(all);
        for (int i = 1; i < all.length; i++) {
            if (all[i] == all[i - 1]) {
                fail("version " + all[i] + " was issued twice");
            }
        }
    }

    @Test
    void next_twoMastersInSameMillisecond_neverIssueEqualVersions() {
        List<String> ids = List.of("master-1", "master-2", "master-3");
        Set<Long> seen = new HashSet<>();
        for (String id : ids) {
            HybridLogicalClock hlc = new HybridLogicalClock(clock, id);
            for (int i = 0; i < 10_000; i++) {
                assertThat(seen.add(hlc.next())).as("%s issued a version already issued", id).isTrue();
            }
        }
    }

    @Test
    void next_numberedMasterIdsBelow256InSameMillisecond_neverIssueEqualVersions() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 256; i++) {
            assertThat(seen.add(new HybridLogicalClock(clock, "master-" + i).next())).as("master-" + i).isTrue();
        }
    }

    @Test
    void tagFor_trailingNumber_isTheNumberModulo256() {
        assertThat(HybridLogicalClock.tagFor("master-1")).isEqualTo(1);
        assertThat(HybridLogicalClock.tagFor("master-49")).isEqualTo(49);
        assertThat(HybridLogicalClock.tagFor("m-300")).isEqualTo(300 - 256);
    }

    @Test
    void constructor_tagOutOfRange_isRejected() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new HybridLogicalClock(clock, 256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
    }

    @Test
    void observe_versionAhead_nextExceedsIt() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        hlc.next();
        long remote = (clock.millis() + 60_000) << SHIFT | 17L << HybridLogicalClock.TAG_BITS | 0xFF;

        hlc.observe(remote);
        long next = hlc.next();

        assertThat(next).isGreaterThan(remote);
        assertThat(HybridLogicalClock.millisOf(next)).isEqualTo(clock.millis() + 60_000);
    }

    @Test
    void observe_sameMillisecondHigherTag_nextExceedsIt() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        long remote = clock.millis() << SHIFT | 0xFF; // counter 0, the highest possible tag

        hlc.observe(remote);

        assertThat(hlc.next()).isGreaterThan(remote);
    }

    @Test
    void observe_versionFromAnotherMaster_nextExceedsIt() {
        HybridLogicalClock mine = new HybridLogicalClock(clock, "master-1");
        HybridLogicalClock theirs = new HybridLogicalClock(clock, "master-2");
        long remote = 0;
        for (int i = 0; i < 100; i++) {
            remote = theirs.next();
        }

        mine.observe(remote);

        assertThat(mine.next()).isGreaterThan(remote);
    }

    @Test
    void observe_olderVersion_changesNothing() {
        HybridLogicalClock hlc = new HybridLogicalClock(clock, "master-1");
        long first = hlc.next();
        clock.advance(Duration.ofMillis(10));

        hlc.observe(first - (1L << SHIFT));
        long next = hlc.next();

        assertThat(next).isGreaterThan(first);
        assertThat(HybridLogicalClock.millisOf(next)).isEqualTo(clock.millis());
    }
}
