package dev.dcache.aux.cache;

import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LruCacheTest {
    private static final long TOMBSTONE_TTL = 60_000;
    private static final long UNBOUNDED_BYTES = 1L << 40;

    private final FakeClock clock = new FakeClock();

    private LruCache cache(long maxEntries, long maxBytes, int segments) {
        return new LruCache(maxEntries, maxBytes, segments, TOMBSTONE_TTL, clock);
    }

    /** One segment, so recency is global and eviction order is exact. */
    private LruCache singleSegment(long maxEntries, long maxBytes) {
        return cache(maxEntries, maxBytes, 1);
    }

    private static Entry value(String key, String value, long version) {
        return new Entry(key, value, version, 0);
    }

    private Entry expiring(String key, String value, long version, long ttlMillis) {
        return new Entry(key, value, version, clock.millis() + ttlMillis);
    }

    private static List<String> keysInOrder(LruCache cache) {
        List<String> keys = new ArrayList<>();
        cache.forEach(e -> keys.add(e.key()));
        return keys;
    }

    private static List<Entry> records(LruCache cache) {
        List<Entry> records = new ArrayList<>();
        cache.forEach(records::add);
        return records;
    }

    private static long weightOf(List<Entry> records) {
        return records.stream().mapToLong(e -> Weigher.weigh(e.key(), e.value())).sum();
    }

    @Nested
    class Recency {
        @Test
        void put_overEntryLimit_evictsLeastRecentlyUsed() {
            LruCache cache = singleSegment(3, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.put(value("b", "2", 2));
            cache.put(value("c", "3", 3));

            cache.put(value("d", "4", 4));

            assertThat(cache.peek("a")).isNull();
            assertThat(keysInOrder(cache)).containsExactly("b", "c", "d");
            assertThat(cache.size()).isEqualTo(3);
            assertThat(cache.stats().evictions()).isEqualTo(1);
        }

        @Test
        void get_hit_makesEntryMostRecentlyUsed() {
            LruCache cache = singleSegment(3, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.put(value("b", "2", 2));
            cache.put(value("c", "3", 3));

            assertThat(cache.get("a")).isNotNull();
            cache.put(value("d", "4", 4));

            assertThat(cache.peek("b")).isNull();
            assertThat(keysInOrder(cache)).containsExactly("c", "a", "d");
        }

        @Test
        void get_ofAnEntryAmongTheNewestEighth_leavesItWhereItIs_olderOnesMove() {
            LruCache cache = singleSegment(16, UNBOUNDED_BYTES);
            for (int i = 0; i < 16; i++) {
                cache.put(value("k" + i, "v", i + 1));
            }

            cache.get("k14"); // one node went to the head after it: within 16/8, no lock taken
            cache.get("k3");  // twelve did: it moves

            List<String> order = keysInOrder(cache);
            assertThat(order.get(order.size() - 1)).isEqualTo("k3");
            assertThat(order.get(order.size() - 2)).isEqualTo("k15");
            assertThat(order.get(order.size() - 3)).isEqualTo("k14");
        }

        @Test
        void peek_hit_leavesRecencyAlone() {
            LruCache cache = singleSegment(3, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.put(value("b", "2", 2));
            cache.put(value("c", "3", 3));

            assertThat(cache.peek("a")).isNotNull();
            cache.put(value("d", "4", 4));

            assertThat(cache.peek("a")).isNull();
            assertThat(keysInOrder(cache)).containsExactly("b", "c", "d");
        }

        @Test
        void put_newerVersionOfHeldKey_makesItMostRecentlyUsed() {
            LruCache cache = singleSegment(3, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.put(value("b", "2", 2));
            cache.put(value("c", "3", 3));

            cache.put(value("a", "1b", 4));
            cache.put(value("d", "4", 5));

            assertThat(keysInOrder(cache)).containsExactly("c", "a", "d");
        }

        @Test
        void put_staleVersionOfHeldKey_leavesRecencyAlone() {
            LruCache cache = singleSegment(3, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 10));
            cache.put(value("b", "2", 11));
            cache.put(value("c", "3", 12));

            cache.put(value("a", "old", 1));
            cache.put(value("d", "4", 13));

            assertThat(keysInOrder(cache)).containsExactly("b", "c", "d");
        }

        @Test
        void put_manyOverEntryLimit_evictsInInsertionOrder() {
            LruCache cache = singleSegment(100, UNBOUNDED_BYTES);
            for (int i = 0; i < 250; i++) {
                cache.put(value("k" + i, "v", i + 1));
            }

            List<String> expected = new ArrayList<>();
            for (int i = 150; i < 250; i++) {
                expected.add("k" + i);
            }
            assertThat(keysInOrder(cache)).containsExactlyElementsOf(expected);
            assertThat(cache.stats().evictions()).isEqualTo(150);
            cache.checkInvariants();
        }
    }

    @Nested
    class Bounds {
        @Test
        void put_overByteBudget_evictsLeastRecentlyUsedUntilWithinBudget() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(100, 3 * w);
            cache.put(value("k1", "v1", 1));
            cache.put(value("k2", "v2", 2));
            cache.put(value("k3", "v3", 3));
            assertThat(cache.bytes()).isEqualTo(3 * w);

            cache.put(value("k4", "v4", 4));

            assertThat(keysInOrder(cache)).containsExactly("k2", "k3", "k4");
            assertThat(cache.bytes()).isEqualTo(3 * w);
        }

        @Test
        void put_heavyEntry_evictsAsManyAsNeeded() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(100, 3 * w);
            cache.put(value("k1", "v1", 1));
            cache.put(value("k2", "v2", 2));
            cache.put(value("k3", "v3", 3));
            String heavyValue = "x".repeat(40); // weighs more than one small entry, less than two
            long heavy = Weigher.weigh("k4", heavyValue);
            assertThat(heavy).isBetween(w + 1, 2 * w);

            cache.put(value("k4", heavyValue, 4));

            assertThat(keysInOrder(cache)).containsExactly("k3", "k4");
            assertThat(cache.bytes()).isEqualTo(w + heavy);
            assertThat(cache.stats().evictions()).isEqualTo(2);
        }

        @Test
        void put_heavierNewVersion_evictsOthersButKeepsIt() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(100, 3 * w);
            cache.put(value("k1", "v1", 1));
            cache.put(value("k2", "v2", 2));
            cache.put(value("k3", "v3", 3));
            String heavyValue = "x".repeat(40);

            assertThat(cache.put(value("k1", heavyValue, 4)).applied()).isTrue();

            assertThat(keysInOrder(cache)).containsExactly("k3", "k1");
            assertThat(cache.bytes()).isEqualTo(w + Weigher.weigh("k1", heavyValue));
            cache.checkInvariants();
        }

        @Test
        void put_entryHeavierThanSegmentBudget_isRefusedAndLeavesOthers() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(100, 4 * w);
            cache.put(value("k1", "v1", 1));
            cache.put(value("k2", "v2", 2));
            String huge = "x".repeat((int) (4 * w));

            PutOutcome outcome = cache.put(value("big", huge, 3));

            assertThat(outcome).isEqualTo(PutOutcome.ofTooLarge());
            assertThat(cache.peek("big")).isNull();
            assertThat(keysInOrder(cache)).containsExactly("k1", "k2");
            assertThat(cache.bytes()).isEqualTo(2 * w);
            assertThat(cache.stats().rejectedWrites()).isEqualTo(1);
            assertThat(cache.stats().evictions()).isZero();
            assertThat(cache.stats().puts()).isEqualTo(2);
        }

        @Test
        void put_entryHeavierThanOneSegmentsShare_isRefusedThoughTotalBudgetFits() {
            long perSegment = 1_000;
            LruCache cache = cache(100, 4 * perSegment, 4);
            String value = "x".repeat(900); // 88 + 48 + 944 > 1000, but far below 4000

            assertThat(Weigher.weigh("k", value)).isBetween(perSegment + 1, 4 * perSegment);
            assertThat(cache.put(value("k", value, 1))).isEqualTo(PutOutcome.ofTooLarge());
            assertThat(cache.size()).isZero();
            assertThat(cache.bytes()).isZero();
        }

        @Test
        void put_entryWeighingExactlySegmentBudget_isAcceptedAndEvictsTheRest() {
            String value = "x".repeat(64);
            long exact = Weigher.weigh("big", value);
            LruCache cache = singleSegment(100, exact);
            cache.put(value("k1", "v1", 1));

            assertThat(cache.put(value("big", value, 2))).isEqualTo(PutOutcome.applied(2));

            assertThat(keysInOrder(cache)).containsExactly("big");
            assertThat(cache.bytes()).isEqualTo(exact);
        }

        @Test
        void put_refusedNewerVersionOfHeldKey_keepsHeldValue() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(100, 4 * w);
            cache.put(value("k1", "v1", 1));

            assertThat(cache.put(value("k1", "x".repeat((int) (4 * w)), 2))).isEqualTo(PutOutcome.ofTooLarge());

            assertThat(cache.get("k1")).isEqualTo(value("k1", "v1", 1));
        }

        @Test
        void put_manyKeysOverSegments_neverExceedsEitherBound() {
            LruCache cache = cache(64, 64 * 200, 4);
            for (int i = 0; i < 5_000; i++) {
                cache.put(value("key-" + i, "v".repeat(i % 50), i + 1));
                assertThat(cache.size()).isLessThanOrEqualTo(64);
                assertThat(cache.bytes()).isLessThanOrEqualTo(64 * 200);
            }
            cache.checkInvariants();
            assertThat(cache.bytes()).isEqualTo(weightOf(records(cache)));
        }
    }

    @Nested
    class Expiry {
        @Test
        void get_beforeExpiry_returnsValue() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            Entry e = expiring("a", "1", 1, 1_000);
            cache.put(e);

            clock.advance(Duration.ofMillis(999));

            assertThat(cache.get("a")).isEqualTo(e);
            assertThat(cache.peek("a")).isEqualTo(e);
        }

        @Test
        void get_atExpiry_returnsNullAndRemovesIt() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "1", 1, 1_000));

            clock.advance(Duration.ofMillis(1_000));

            assertThat(cache.get("a")).isNull();
            assertThat(cache.size()).isZero();
            assertThat(cache.bytes()).isZero();
            assertThat(cache.stats().expirations()).isEqualTo(1);
            assertThat(cache.stats().misses()).isEqualTo(1);
            assertThat(cache.stats().hits()).isZero();
        }

        @Test
        void peek_afterExpiry_returnsNullButLeavesRecordForSweep() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "1", 1, 1_000));

            clock.advance(Duration.ofSeconds(5));

            assertThat(cache.peek("a")).isNull();
            assertThat(cache.size()).isEqualTo(1);
            assertThat(cache.stats().expirations()).isZero();
        }

        @Test
        void sweep_someExpired_removesOnlyThoseAndCountsThem() {
            LruCache cache = cache(100, UNBOUNDED_BYTES, 4);
            cache.put(expiring("short-1", "1", 1, 1_000));
            cache.put(expiring("short-2", "2", 2, 2_000));
            Entry longLived = expiring("long", "3", 3, 5_000);
            cache.put(longLived);
            Entry forever = value("forever", "4", 4);
            cache.put(forever);
            cache.delete("deleted", 5);

            clock.advance(Duration.ofMillis(2_000));
            int removed = cache.sweep();

            assertThat(removed).isEqualTo(2);
            assertThat(cache.stats().expirations()).isEqualTo(2);
            assertThat(cache.size()).isEqualTo(3);
            assertThat(cache.peek("long")).isEqualTo(longLived);
            assertThat(cache.peek("forever")).isEqualTo(forever);
            assertThat(cache.peek("deleted").isTombstone()).isTrue();
            assertThat(cache.bytes()).isEqualTo(weightOf(records(cache)));
            cache.checkInvariants();
        }

        @Test
        void sweep_nothingExpired_removesNothing() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "1", 1, 1_000));
            cache.put(value("b", "2", 2));

            assertThat(cache.sweep()).isZero();
            assertThat(cache.size()).isEqualTo(2);
            assertThat(cache.stats().expirations()).isZero();
        }

        @Test
        void forEach_afterExpiry_skipsExpiredAndYieldsTombstones() {
            LruCache cache = cache(100, UNBOUNDED_BYTES, 4);
            cache.put(expiring("gone", "1", 1, 1_000));
            Entry kept = expiring("kept", "2", 2, 10_000);
            cache.put(kept);
            Entry forever = value("forever", "3", 3);
            cache.put(forever);
            cache.delete("deleted", 4);
            long tombstoneExpiry = clock.millis() + TOMBSTONE_TTL;

            clock.advance(Duration.ofMillis(1_000));

            assertThat(records(cache)).containsExactlyInAnyOrder(
                    kept, forever, new Entry("deleted", null, 4, tombstoneExpiry));
        }

        @Test
        void put_alreadyExpiredEntry_isNeverReturned() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(new Entry("a", "1", 1, clock.millis() - 1));

            assertThat(cache.get("a")).isNull();
            assertThat(cache.peek("a")).isNull();
        }
    }

    @Nested
    class Versions {
        @Test
        void put_higherVersion_replacesValue() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "old", 1));

            PutOutcome outcome = cache.put(value("a", "new", 2));

            assertThat(outcome).isEqualTo(PutOutcome.applied(2));
            assertThat(cache.get("a")).isEqualTo(value("a", "new", 2));
            assertThat(cache.size()).isEqualTo(1);
            assertThat(cache.bytes()).isEqualTo(Weigher.weigh("a", "new"));
        }

        @Test
        void put_equalVersion_isStaleAndReportsHeldVersion() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "first", 5));

            PutOutcome outcome = cache.put(value("a", "second", 5));

            assertThat(outcome).isEqualTo(PutOutcome.superseded(5));
            assertThat(cache.get("a").value()).isEqualTo("first");
            assertThat(cache.stats().staleWrites()).isEqualTo(1);
        }

        @Test
        void put_lowerVersion_isStaleAndReportsHeldVersion() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "new", 5));

            PutOutcome outcome = cache.put(value("a", "old", 4));

            assertThat(outcome).isEqualTo(PutOutcome.superseded(5));
            assertThat(cache.get("a")).isEqualTo(value("a", "new", 5));
            assertThat(cache.stats().staleWrites()).isEqualTo(1);
            assertThat(cache.stats().puts()).isEqualTo(1);
        }

        @Test
        void put_olderThanExpiredButUnsweptRecord_isStale() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "v5", 5, 1_000));
            clock.advance(Duration.ofSeconds(2));

            PutOutcome outcome = cache.put(value("a", "v4", 4));

            assertThat(outcome).isEqualTo(PutOutcome.superseded(5));
            assertThat(cache.peek("a")).isNull();
            assertThat(cache.get("a")).isNull();
        }

        @Test
        void put_olderAfterExpiredRecordIsSwept_isApplied() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "v5", 5, 1_000));
            clock.advance(Duration.ofSeconds(2));
            cache.sweep();

            assertThat(cache.put(value("a", "v4", 4))).isEqualTo(PutOutcome.applied(4));
            assertThat(cache.get("a")).isEqualTo(value("a", "v4", 4));
        }

        @Test
        void put_newerThanExpiredButUnsweptRecord_isAppliedAndLive() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "v5", 5, 1_000));
            clock.advance(Duration.ofSeconds(2));

            assertThat(cache.put(value("a", "v6", 6))).isEqualTo(PutOutcome.applied(6));
            assertThat(cache.get("a")).isEqualTo(value("a", "v6", 6));
            assertThat(cache.sweep()).isZero();
        }
    }

    @Nested
    class Tombstones {
        @Test
        void delete_liveValue_returnsTrueAndLeavesTombstone() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));

            boolean existed = cache.delete("a", 2);

            assertThat(existed).isTrue();
            assertThat(cache.get("a")).isNull();
            assertThat(cache.peek("a")).isEqualTo(new Entry("a", null, 2, clock.millis() + TOMBSTONE_TTL));
            assertThat(cache.size()).isEqualTo(1);
            assertThat(cache.bytes()).isEqualTo(Weigher.weigh("a", null));
            assertThat(cache.stats().deletes()).isEqualTo(1);
        }

        @Test
        void delete_absentKey_returnsFalseAndRecordsTombstone() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);

            boolean existed = cache.delete("a", 3);

            assertThat(existed).isFalse();
            assertThat(cache.peek("a")).isEqualTo(new Entry("a", null, 3, clock.millis() + TOMBSTONE_TTL));
            assertThat(cache.put(value("a", "late", 2))).isEqualTo(PutOutcome.superseded(3));
            assertThat(cache.stats().deletes()).isEqualTo(1);
        }

        @Test
        void delete_tombstonedKey_returnsFalse() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.delete("a", 2);

            assertThat(cache.delete("a", 3)).isFalse();
            assertThat(cache.peek("a").version()).isEqualTo(3);
        }

        @Test
        void delete_expiredValue_returnsFalse() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(expiring("a", "1", 1, 1_000));
            clock.advance(Duration.ofSeconds(1));

            assertThat(cache.delete("a", 2)).isFalse();
            assertThat(cache.peek("a").isTombstone()).isTrue();
        }

        @Test
        void delete_olderThanHeldValue_isIgnoredAndReturnsFalse() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 5));

            assertThat(cache.delete("a", 4)).isFalse();

            assertThat(cache.get("a")).isEqualTo(value("a", "1", 5));
            assertThat(cache.stats().staleWrites()).isEqualTo(1);
            assertThat(cache.stats().deletes()).isZero();
        }

        @Test
        void put_olderThanTombstone_isStale() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.delete("a", 3);

            assertThat(cache.put(value("a", "resurrected", 2))).isEqualTo(PutOutcome.superseded(3));
            assertThat(cache.get("a")).isNull();
        }

        @Test
        void put_newerThanTombstone_wins() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.put(value("a", "1", 1));
            cache.delete("a", 2);

            assertThat(cache.put(value("a", "again", 3))).isEqualTo(PutOutcome.applied(3));
            assertThat(cache.get("a")).isEqualTo(value("a", "again", 3));
            assertThat(cache.bytes()).isEqualTo(Weigher.weigh("a", "again"));
        }

        @Test
        void tombstone_untilTtl_blocksOlderWrite() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.delete("a", 5);

            clock.advance(Duration.ofMillis(TOMBSTONE_TTL - 1));

            assertThat(cache.peek("a")).isNotNull();
            assertThat(cache.sweep()).isZero();
            assertThat(cache.put(value("a", "old", 4))).isEqualTo(PutOutcome.superseded(5));
        }

        @Test
        void tombstone_afterTtlAndSweep_isGoneAndOlderWriteIsAccepted() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.delete("a", 5);

            clock.advance(Duration.ofMillis(TOMBSTONE_TTL));

            assertThat(cache.peek("a")).isNull();
            // like any expired record, an unswept tombstone still carries its version
            assertThat(cache.put(value("a", "old", 4))).isEqualTo(PutOutcome.superseded(5));
            assertThat(cache.sweep()).isEqualTo(1);
            assertThat(cache.stats().expirations()).isEqualTo(1);
            assertThat(cache.put(value("a", "old", 4))).isEqualTo(PutOutcome.applied(4));
            assertThat(cache.get("a")).isEqualTo(value("a", "old", 4));
        }

        @Test
        void put_tombstoneWithoutExpiry_getsTombstoneTtl() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);

            assertThat(cache.put(new Entry("a", null, 7, 0))).isEqualTo(PutOutcome.applied(7));

            assertThat(cache.peek("a")).isEqualTo(new Entry("a", null, 7, clock.millis() + TOMBSTONE_TTL));
            assertThat(cache.stats().deletes()).isEqualTo(1);
            assertThat(cache.stats().puts()).isZero();
        }

        @Test
        void put_tombstoneWithExpiry_keepsGivenExpiry() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            Entry replicated = new Entry("a", null, 7, clock.millis() + 1_234);

            cache.put(replicated);

            assertThat(cache.peek("a")).isEqualTo(replicated);
        }

        @Test
        void get_tombstone_countsMiss() {
            LruCache cache = singleSegment(10, UNBOUNDED_BYTES);
            cache.delete("a", 1);

            assertThat(cache.get("a")).isNull();
            assertThat(cache.stats().misses()).isEqualTo(1);
        }

        @Test
        void tombstones_overEntryLimit_areEvictedLikeValues() {
            LruCache cache = singleSegment(2, UNBOUNDED_BYTES);
            cache.delete("a", 1);
            cache.put(value("b", "2", 2));
            cache.put(value("c", "3", 3));

            assertThat(cache.peek("a")).isNull();
            assertThat(cache.stats().evictions()).isEqualTo(1);
        }
    }

    @Nested
    class Accounting {
        @Test
        void stats_mixedOperations_countEachOutcome() {
            long w = Weigher.weigh("k1", "v1");
            LruCache cache = singleSegment(3, 8 * w);
            cache.put(value("k1", "v1", 1));                 // put
            cache.put(value("k2", "v2", 2));                 // put
            cache.put(value("k1", "v1", 1));                 // stale
            cache.put(value("k3", "x".repeat(2_000), 3));    // rejected
            cache.get("k1");                                  // hit
            cache.get("nope");                                // miss
            cache.delete("k2", 4);                            // delete
            cache.get("k2");                                  // miss (tombstone)
            cache.put(expiring("k4", "v4", 5, 100));          // put
            cache.put(value("k5", "v5", 6));                  // put, evicts k1
            clock.advance(Duration.ofMillis(100));
            cache.get("k4");                                  // miss, expiration

            assertThat(cache.stats()).isEqualTo(new LruCache.Stats(
                    1, 3, 4, 1, 1, 1, 1, 1));
        }

        @Test
        void bytes_afterEverythingIsRemovedOrExpired_returnsToZero() {
            LruCache cache = cache(1_000, UNBOUNDED_BYTES, 8);
            for (int i = 0; i < 300; i++) {
                cache.put(expiring("key-" + i, "value-".repeat(i % 7 + 1), i + 1, 1_000 + i));
            }
            for (int i = 0; i < 300; i += 3) {
                cache.put(expiring("key-" + i, "é€".repeat(i % 5), 1_000 + i, 500)); // reweighed
            }
            for (int i = 0; i < 300; i += 5) {
                cache.delete("key-" + i, 2_000 + i);
            }
            assertThat(cache.bytes()).isEqualTo(weightOf(records(cache)));

            clock.advance(Duration.ofMillis(1_300));
            for (int i = 0; i < 300; i += 2) {
                cache.get("key-" + i); // removes the expired values it meets
            }
            clock.advance(Duration.ofMillis(TOMBSTONE_TTL));
            cache.sweep();

            assertThat(cache.size()).isZero();
            assertThat(cache.bytes()).isZero();
            cache.checkInvariants();
        }

        @Test
        void forEach_manySegments_yieldsEveryRecordOnce() {
            LruCache cache = cache(10_000, UNBOUNDED_BYTES, 16);
            for (int i = 0; i < 1_000; i++) {
                cache.put(value("key-" + i, "v" + i, i + 1));
            }
            for (int i = 0; i < 1_000; i += 10) {
                cache.delete("key-" + i, 10_000 + i);
            }

            List<Entry> records = records(cache);

            assertThat(records).hasSize(1_000);
            assertThat(records).extracting(Entry::key).doesNotHaveDuplicates();
            assertThat(records).filteredOn(Entry::isTombstone).hasSize(100);
            assertThat(cache.bytes()).isEqualTo(weightOf(records));
        }

        @Test
        void accessors_returnConfiguredBounds() {
            LruCache cache = cache(1_024, 1L << 20, 4);

            assertThat(cache.maxEntries()).isEqualTo(1_024);
            assertThat(cache.maxBytes()).isEqualTo(1L << 20);
        }
    }

    @Nested
    class Construction {
        @ParameterizedTest
        @ValueSource(ints = {0, -4, 3, 6, 12, 1_000})
        void new_segmentsNotPowerOfTwo_isRejected(int segments) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new LruCache(1 << 20, 1L << 30, segments, TOMBSTONE_TTL, clock))
                    .withMessage("segments must be a power of two, was " + segments);
        }

        @Test
        void new_fewerEntriesThanSegments_isRejected() {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new LruCache(15, 1L << 30, 16, TOMBSTONE_TTL, clock))
                    .withMessageContaining("maxEntries")
                    .withMessageContaining("16")
                    .withMessageContaining("was 15");
        }

        @Test
        void new_zeroEntries_isRejected() {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new LruCache(0, 1L << 30, 1, TOMBSTONE_TTL, clock))
                    .withMessageContaining("maxEntries")
                    .withMessageContaining("was 0");
        }

        @Test
        void new_byteBudgetBelowOneOverheadPerSegment_isRejected() {
            long tooSmall = 16 * Weigher.ENTRY_OVERHEAD - 1;
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new LruCache(1_000, tooSmall, 16, TOMBSTONE_TTL, clock))
                    .withMessageContaining("maxBytes")
                    .withMessageContaining(String.valueOf(tooSmall));
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1})
        void new_nonPositiveTombstoneTtl_isRejected(long ttl) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new LruCache(1_000, 1L << 30, 16, ttl, clock))
                    .withMessage("tombstoneTtlMillis must be positive, was " + ttl);
        }

        @Test
        void new_smallestValidBounds_isAccepted() {
            LruCache cache = new LruCache(1, Weigher.ENTRY_OVERHEAD, 1, 1, clock);

            assertThat(cache.size()).isZero();
            assertThat(cache.bytes()).isZero();
        }
    }
}
