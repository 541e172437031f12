package dev.dcache.aux.ordering;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A request ordered twice (a retry through another master) takes effect once and answers alike. */
class OrderedWritesTest {
    private final FakeClock clock = new FakeClock();
    private final LruCache cache = new LruCache(1000, 1 << 20, 1, 60_000, clock);
    private final OrderedWrites writes = new OrderedWrites(cache, clock::nanos, Duration.ofSeconds(60), 3);

    @Test
    void aDeleteRetried_answersWhetherTheKeyExistedWhenTheFirstTryDeletedIt() {
        cache.put(new Entry("k", "v", 1, 0));
        DeleteOutcome first = writes.delete("k", 5, "req");
        DeleteOutcome retry = writes.delete("k", 9, "req"); // the other master's version
        assertThat(first).isEqualTo(new DeleteOutcome(true, 5, false));
        assertThat(retry).isEqualTo(new DeleteOutcome(true, 5, true));
        assertThat(cache.peek("k").version()).as("applied once").isEqualTo(5);
        assertThat(writes.replays()).isEqualTo(1);
    }

    @Test
    void aPutRetried_keepsItsFirstVersion() {
        writes.put(new Entry("k", "v", 5, 0), "req");
        assertThat(writes.put(new Entry("k", "v", 9, 0), "req")).isEqualTo(PutOutcome.replayed(5));
        assertThat(cache.peek("k").version()).isEqualTo(5);
    }

    @Test
    void aRefusedWrite_isNotRemembered_soItsMasterCanOrderItAgainAbove() {
        cache.put(new Entry("k", "newer", 10, 0));
        assertThat(writes.put(new Entry("k", "v", 5, 0), "req")).isEqualTo(PutOutcome.superseded(10));
        assertThat(writes.put(new Entry("k", "v", 11, 0), "req")).isEqualTo(PutOutcome.applied(11));
    }

    @Test
    void theSameRequestId_onAnotherKey_isAnotherWrite() {
        writes.put(new Entry("a", "v", 5, 0), "req");
        assertThat(writes.put(new Entry("b", "v", 6, 0), "req").replayed()).isFalse();
    }

    @Test
    void withoutARequestId_nothingIsRemembered() {
        writes.delete("k", 5, null);
        assertThat(writes.delete("k", 6, null)).isEqualTo(new DeleteOutcome(false, 6, false));
    }

    @Test
    void anOutcome_isForgottenAfterTheWindow_orWhenNewerOnesPushItOut() {
        writes.put(new Entry("k", "v", 5, 0), "old");
        clock.advance(Duration.ofSeconds(61));
        assertThat(writes.put(new Entry("k", "v", 6, 0), "old").replayed()).as("the window passed").isFalse();

        for (int i = 0; i < 5; i++) {
            writes.put(new Entry("k" + i, "v", 10 + i, 0), "r" + i);
        }
        assertThat(writes.put(new Entry("k0", "v", 20, 0), "r0").replayed()).as("pushed out by newer ones").isFalse();
    }

    @Test
    void anAnswer_saysHowFarBackEveryRequestIsRemembered_sinceStart_atMostTheWindow() {
        assertThat(writes.put(new Entry("a", "v", 5, 0), "r1").rememberedMillis()).as("just started").isZero();
        clock.advance(Duration.ofSeconds(5));
        assertThat(writes.put(new Entry("b", "v", 6, 0), "r2").rememberedMillis()).isEqualTo(5_000);
        clock.advance(Duration.ofSeconds(100));
        assertThat(writes.delete("b", 7, "r3").rememberedMillis()).as("outcomes older than 60 s are gone anyway")
                .isEqualTo(60_000);
        assertThat(writes.put(new Entry("c", "v", 8, 0), null).rememberedMillis()).as("no request id: no claim").isZero();
    }

    @Test
    void outcomesPushedOutYoung_shortenWhatAnAnswerVouchesFor_toAfterTheNewestOfThem() {
        clock.advance(Duration.ofSeconds(100));
        for (int i = 0; i < 5; i++) { // room for 3: the outcomes of second 0 and 1 are pushed out young
            writes.put(new Entry("k" + i, "v", 10 + i, 0), "r" + i);
            clock.advance(Duration.ofSeconds(1));
        }
        // now second 5; one more pushes out second 1's outcome (the map holds 3, and the one a lookup
        // adds): every request since then is remembered
        PutOutcome answer = writes.put(new Entry("k", "v", 20, 0), "r");
        assertThat(answer.rememberedMillis()).isEqualTo(4_000);
        assertThat(writes.put(new Entry("k1", "v", 30, 0), "r1").replayed()).as("second 1's, pushed out").isFalse();
        assertThat(writes.put(new Entry("k4", "v", 30, 0), "r4").replayed()).as("second 4's, still there").isTrue();
    }

    @Test
    void outcomesThatAgedOut_doNotShortenIt() {
        OrderedWrites small = new OrderedWrites(cache, clock::nanos, Duration.ofSeconds(60), 1);
        small.put(new Entry("a", "v", 5, 0), "r1");
        clock.advance(Duration.ofSeconds(61));
        small.put(new Entry("b", "v", 6, 0), "r2"); // r1 leaves by age
        clock.advance(Duration.ofSeconds(1));
        assertThat(small.put(new Entry("c", "v", 7, 0), "r3").rememberedMillis()).as("r1 left by age").isEqualTo(60_000);
        assertThat(small.put(new Entry("d", "v", 8, 0), "r4").rememberedMillis())
                .as("r2 was pushed out by count, at 1 s old").isEqualTo(1_000);
    }
}
