package dev.dcache.master.nearcache;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Invalidation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a master does with the pushes it gets: drop the keys named, and everything when one may be lost. */
class PushReceiverTest {
    private static final Duration SILENCE = Duration.ofSeconds(3);

    private final FakeClock clock = new FakeClock();
    private final NearCache cache = new NearCache(clock, 100, 1 << 20, Duration.ofMinutes(1), 1);
    private volatile List<NodeAddress> expected = List.of();
    private final PushReceiver receiver = new PushReceiver(new NearReads(cache, null), () -> expected, clock::millis,
            SILENCE);

    /** Caches {@code key} as a hot key would be. */
    private void hold(String key) {
        cache.get(key);
        assertThat(cache.offer(key, new Entry(key, "v", 1, 0), cache.ticket(key))).isTrue();
    }

    private static Invalidation push(String from, long epoch, long seq, String... keys) {
        return new Invalidation(from, epoch, seq, List.of(keys));
    }

    @BeforeEach
    void firstContact() {
        receiver.accept(push("m-2", 7, 1)); // the first push from a sender drops everything (nothing here yet)
        assertThat(receiver.flushes()).isEqualTo(1);
        hold("a");
        hold("b");
    }

    @Test
    void pushesInOrder_dropOnlyTheKeysTheyName() {
        receiver.accept(push("m-2", 7, 2, "a"));
        receiver.accept(push("m-2", 7, 3));
        assertThat(cache.get("a")).isNull();
        assertThat(cache.get("b")).isNotNull();
        assertThat(receiver.flushes()).isEqualTo(1);
        assertThat(receiver.received()).isEqualTo(1);
    }

    @Test
    void aGapInTheNumbers_dropsEverything() {
        receiver.accept(push("m-2", 7, 3, "a")); // 2 never arrived
        assertThat(cache.get("b")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);
        receiver.accept(push("m-2", 7, 4));
        assertThat(receiver.flushes()).as("in order again").isEqualTo(2);
    }

    @Test
    void anotherStreamFromTheSameSender_dropsEverything() {
        receiver.accept(push("m-2", 8, 1)); // m-2 restarted, or lost and regained this master
        assertThat(cache.get("a")).isNull();
        assertThat(cache.get("b")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);
    }

    @Test
    void aNewSender_dropsEverything_theOthersStreamsStayIntact() {
        receiver.accept(push("m-3", 1, 5, "a")); // may have written before it knew of us
        assertThat(cache.get("b")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);
        receiver.accept(push("m-2", 7, 2));
        assertThat(receiver.flushes()).isEqualTo(2);
    }

    @Test
    void aLatePush_behindAHigherNumber_appliesItsKeys_withoutAnotherDrop() {
        receiver.accept(push("m-2", 7, 3)); // 2 is late: a drop
        hold("a");
        receiver.accept(push("m-2", 7, 2, "a")); // here it is
        assertThat(cache.get("a")).isNull();
        assertThat(cache.get("b")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);
        receiver.accept(push("m-2", 7, 4));
        assertThat(receiver.flushes()).as("3 is still the last in order").isEqualTo(2);
    }

    @Test
    void aSenderNoLongerExpected_silentPastTheLimit_dropsEverythingOnce_andIsForgotten() {
        clock.advance(SILENCE);
        receiver.checkSilence();
        assertThat(cache.get("a")).as("at the limit, not past it").isNotNull();
        clock.advance(Duration.ofMillis(1));
        receiver.checkSilence();
        assertThat(cache.get("a")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);
        hold("a");
        receiver.checkSilence();
        assertThat(receiver.flushes()).as("forgotten: no second drop for the same silence").isEqualTo(2);
        assertThat(cache.get("a")).isNotNull();
    }

    @Test
    void anExpectedSenderSilentPastTheLimit_keepsTheNearCacheEmpty_untilItPushesAgain() {
        expected = List.of(new NodeAddress("m-2", "10.0.0.2", 8002));
        clock.advance(SILENCE.plusMillis(1));
        receiver.checkSilence();
        assertThat(receiver.flushes()).isEqualTo(2);
        hold("a");
        receiver.checkSilence();
        assertThat(cache.get("a")).as("a live master that cannot reach us: every copy may be stale").isNull();
        assertThat(receiver.flushes()).isEqualTo(3);

        receiver.accept(push("m-2", 7, 2));
        hold("a");
        receiver.checkSilence();
        assertThat(cache.get("a")).isNotNull();
        assertThat(receiver.flushes()).isEqualTo(3);
    }

    @Test
    void anExpectedSenderNeverHeard_countsAsSilent_fromWhenItWasFirstExpected() {
        expected = List.of(new NodeAddress("m-3", "10.0.0.3", 8003));
        receiver.accept(push("m-2", 7, 2)); // m-2 keeps talking; m-3 never does
        receiver.checkSilence();
        clock.advance(SILENCE);
        receiver.accept(push("m-2", 7, 3));
        receiver.checkSilence();
        assertThat(cache.get("a")).as("m-3 expected for exactly the limit").isNotNull();
        clock.advance(Duration.ofMillis(1));
        receiver.accept(push("m-2", 7, 4));
        receiver.checkSilence();
        assertThat(cache.get("a")).isNull();
        assertThat(receiver.flushes()).isEqualTo(2);

        expected = List.of();
        hold("a");
        receiver.checkSilence();
        assertThat(cache.get("a")).as("no longer expected: nothing to wait for").isNotNull();
    }

    @Test
    void aDropOfEverything_turnsAwayReadsUnderWay() {
        NearCache.Ticket before = cache.ticket("c");
        cache.get("c");
        receiver.accept(push("m-2", 7, 9)); // a gap
        assertThat(cache.offer("c", new Entry("c", "old", 1, 0), before)).isFalse();
        assertThat(cache.offer("c", new Entry("c", "new", 2, 0), cache.ticket("c"))).isTrue();
    }
}
