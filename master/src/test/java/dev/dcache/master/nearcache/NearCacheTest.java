package dev.dcache.master.nearcache;

import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NearCacheTest {
    private static final Duration BOUND = Duration.ofMillis(1000);
    private static final int HOT = 3;

    private final FakeClock clock = new FakeClock();
    private NearCache cache = new NearCache(clock, 100, 1 << 20, BOUND, HOT);

    /** Reads {@code key} like the router does: near lookup, then (on a miss) an aux read that is offered. */
    private Entry read(String key, Entry onAux) {
        Entry near = cache.get(key);
        if (near != null) {
            return near;
        }
        cache.offer(key, onAux, cache.ticket(key));
        return onAux;
    }

    private void makeHot(String key) {
        for (int i = 0; i < HOT; i++) {
            cache.get(key);
        }
    }

    private static Entry entry(String key, String value) {
        return new Entry(key, value, 1, 0);
    }

    @Test
    void offer_coldKey_isNotKept() {
        cache.get("k");
        assertThat(cache.offer("k", entry("k", "v"), cache.ticket("k"))).isFalse();
        assertThat(cache.get("k")).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void offer_hotKey_isServedUntilTheStalenessBound_thenRefetched() {
        makeHot("k");
        NearCache.Ticket ticket = cache.ticket("k");
        assertThat(cache.offer("k", entry("k", "v1"), ticket)).isTrue();

        clock.advance(BOUND.minusMillis(1));
        assertThat(cache.get("k").value()).as("1 ms before the bound").isEqualTo("v1");
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get("k")).as("at the bound").isNull();
        assertThat(read("k", entry("k", "v2")).value()).isEqualTo("v2");
        assertThat(cache.get("k").value()).isEqualTo("v2");
        assertThat(cache.hits()).isEqualTo(2);
    }

    @Test
    void staleness_runsFromWhenTheReadBegan_notWhenItEnded() {
        makeHot("k");
        NearCache.Ticket ticket = cache.ticket("k");
        clock.advance(Duration.ofMillis(400)); // a slow aux read
        cache.offer("k", entry("k", "v"), ticket);
        clock.advance(Duration.ofMillis(599));
        assertThat(cache.get("k")).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void offer_keyExpiringBeforeTheBound_isNeverServedPastItsExpiry() {
        makeHot("k");
        cache.offer("k", new Entry("k", "v", 1, clock.millis() + 300), cache.ticket("k"));
        clock.advance(Duration.ofMillis(299));
        assertThat(cache.get("k")).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void offer_alreadyExpiredOrTombstone_isNotKept() {
        makeHot("k");
        assertThat(cache.offer("k", new Entry("k", "v", 1, clock.millis()), cache.ticket("k"))).isFalse();
        assertThat(cache.offer("k", new Entry("k", null, 1, 0), cache.ticket("k"))).isFalse();
        assertThat(cache.offer("k", null, cache.ticket("k"))).isFalse();
    }

    @Test
    void invalidate_dropsTheCopyAtOnce() {
        makeHot("k");
        cache.offer("k", entry("k", "v"), cache.ticket("k"));
        cache.invalidate("k");
        assertThat(cache.get("k")).isNull();
        assertThat(cache.invalidations()).isEqualTo(1);
        assertThat(cache.size()).isZero();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void invalidate_duringARead_keepsTheReadsOlderValueOut() {
        makeHot("k");
        NearCache.Ticket before = cache.ticket("k"); // a read starts, sees "old" on the aux node...
        cache.invalidate("k"); // ...a write through this master lands and invalidates...
        assertThat(cache.offer("k", entry("k", "old"), before)).as("the read's value is refused").isFalse();
        assertThat(cache.get("k")).isNull();
        assertThat(cache.offer("k", entry("k", "new"), cache.ticket("k"))).as("a read after the write").isTrue();
    }

    @Test
    void eviction_byEntries_dropsTheOldestFetchFirst() {
        cache = new NearCache(clock, 3, 1 << 20, BOUND, HOT);
        for (String k : new String[]{"a", "b", "c", "d"}) {
            makeHot(k);
            cache.offer(k, entry(k, "v"), cache.ticket(k));
            clock.advance(Duration.ofMillis(1));
        }
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.evictions()).isEqualTo(1);
        assertThat(cache.get("a")).isNull();
        assertThat(cache.get("b")).isNotNull();
        assertThat(cache.get("d")).isNotNull();
    }

    @Test
    void eviction_byBytes_keepsTheEstimateWithinTheBound() {
        String value = "x".repeat(1000);
        long one = NearCache.weigh("k0", entry("k0", value));
        cache = new NearCache(clock, 1000, 3 * one, BOUND, HOT);
        for (int i = 0; i < 5; i++) {
            String k = "k" + i;
            makeHot(k);
            cache.offer(k, entry(k, value), cache.ticket(k));
        }
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.bytes()).isEqualTo(3 * one);
        assertThat(cache.evictions()).isEqualTo(2);
        assertThat(cache.get("k0")).isNull();
        assertThat(cache.get("k4")).isNotNull();
    }

    @Test
    void offer_valueLargerThanTheByteBound_isNotKept_andEvictsNothing() {
        cache = new NearCache(clock, 1000, 4096, BOUND, HOT);
        makeHot("small");
        cache.offer("small", entry("small", "v"), cache.ticket("small"));
        makeHot("huge");
        assertThat(cache.offer("huge", entry("huge", "x".repeat(4096)), cache.ticket("huge"))).isFalse();
        assertThat(cache.get("small")).isNotNull();
    }

    @Test
    void offer_sameKeyAgain_replacesTheCopy_withoutCountingTwice() {
        makeHot("k");
        cache.offer("k", entry("k", "v1"), cache.ticket("k"));
        cache.offer("k", entry("k", "v2"), cache.ticket("k"));
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.bytes()).isEqualTo(NearCache.weigh("k", entry("k", "v2")));
        assertThat(cache.get("k").value()).isEqualTo("v2");
    }

    @Test
    void scan_ofColdKeys_neverEntersTheCache_norEvictsHotOnes() {
        makeHot("hot");
        cache.offer("hot", entry("hot", "v"), cache.ticket("hot"));
        for (int i = 0; i < 50_000; i++) {
            read("cold-" + i, entry("cold-" + i, "v"));
        }
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.get("hot")).isNotNull();
    }

    @Test
    void constructor_badBounds_failNamingThem() {
        assertThatThrownBy(() -> new NearCache(clock, 0, 1, BOUND, HOT)).hasMessageContaining("maxEntries");
        assertThatThrownBy(() -> new NearCache(clock, 1, 0, BOUND, HOT)).hasMessageContaining("maxBytes");
        assertThatThrownBy(() -> new NearCache(clock, 1, 1, Duration.ZERO, HOT)).hasMessageContaining("maxStaleness");
        assertThatThrownBy(() -> new NearCache(clock, 1, 1, BOUND, 16)).hasMessageContaining("hotThreshold");
    }
}
