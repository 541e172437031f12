package dev.dcache.aux.cache;

import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LruCache#changes()}: moves with every change to the stored records, and only then. */
class LruCacheChangesTest {
    private final FakeClock clock = new FakeClock();
    private final LruCache cache = new LruCache(2, 1L << 30, 1, 60_000, clock);

    @Test
    void changes_newCache_isZero() {
        assertThat(cache.changes()).isZero();
    }

    @Test
    void changes_appliedPutAndDelete_eachMoveIt() {
        cache.put(new Entry("a", "1", 1, 0));
        long afterPut = cache.changes();
        cache.delete("a", 2);

        assertThat(afterPut).isEqualTo(1);
        assertThat(cache.changes()).isEqualTo(2);
    }

    @Test
    void changes_readsPeeksAndRefusedWrites_leaveItAlone() {
        cache.put(new Entry("a", "1", 5, 0));
        long before = cache.changes();

        cache.get("a");
        cache.get("missing");
        cache.peek("a");
        cache.put(new Entry("a", "stale", 4, 0));
        cache.delete("a", 3);
        cache.forEach(e -> { });

        assertThat(cache.changes()).isEqualTo(before);
    }

    @Test
    void changes_aRecordDroppedAfterItsHandOver_movesIt_soTheNextSnapshotNoLongerHoldsIt() {
        cache.put(new Entry("a", "1", 1, 0));
        long before = cache.changes();

        assertThat(cache.drop("a", 1)).isTrue();
        assertThat(cache.drop("a", 1)).as("gone already: no change").isFalse();

        assertThat(cache.changes()).isEqualTo(before + 1);
    }

    @Test
    void changes_eviction_movesIt() {
        cache.put(new Entry("a", "1", 1, 0));
        cache.put(new Entry("b", "1", 2, 0));
        long before = cache.changes();

        cache.put(new Entry("c", "1", 3, 0));

        assertThat(cache.changes()).isEqualTo(before + 2); // the put and the eviction of "a"
    }

    @Test
    void changes_expiryRemovedBySweep_movesIt() {
        cache.put(new Entry("a", "1", 1, clock.millis() + 1_000));
        long before = cache.changes();
        clock.advance(Duration.ofSeconds(2));

        cache.sweep();

        assertThat(cache.changes()).isEqualTo(before + 1);
    }

    @Test
    void changes_expiryRemovedByGet_movesIt() {
        cache.put(new Entry("a", "1", 1, clock.millis() + 1_000));
        long before = cache.changes();
        clock.advance(Duration.ofSeconds(2));

        cache.get("a");

        assertThat(cache.changes()).isEqualTo(before + 1);
    }
}
