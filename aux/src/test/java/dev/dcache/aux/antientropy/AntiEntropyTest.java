package dev.dcache.aux.antientropy;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RingSpec;
import dev.dcache.common.wire.SyncReply;
import dev.dcache.common.wire.SyncRequest;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Co-owners compare bucket digests and repair what differs, both ways; a rebuilding node keeps only what others confirm. */
class AntiEntropyTest {
    private static final List<String> IDS = List.of("a", "b", "c");
    private final FakeClock clock = new FakeClock();
    private final Map<String, LruCache> caches = new HashMap<>();
    private final Map<String, AntiEntropy> nodes = new HashMap<>();
    private final Set<String> rebuilding = ConcurrentHashMap.newKeySet();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final AtomicInteger syncCalls = new AtomicInteger();
    private final RingSpec ring = new RingSpec(IDS.stream().map(id -> new NodeAddress(id, "h", 1)).toList(), 2, 64,
            new HashRing(IDS, 64, dev.dcache.common.hash.HashFunction.FNV1A_MIX).fingerprint());
    private final HashRing hashRing = ring.toRing();

    AntiEntropyTest() {
        for (String id : IDS) {
            caches.put(id, new LruCache(100_000, 64L << 20, 4, 60_000, clock));
        }
        for (String id : IDS) {
            // small buckets and answers, so that paging is exercised too
            nodes.put(id, new AntiEntropy(id, caches.get(id), peers(), 6, 50, 20_000));
        }
    }

    private AntiEntropy.Peers peers() {
        return new AntiEntropy.Peers() {
            @Override
            public SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException {
                reach(peer);
                syncCalls.incrementAndGet();
                return nodes.get(peer.id()).answer(request, rebuilding.contains(peer.id()));
            }

            @Override
            public void putBatch(NodeAddress peer, List<Entry> entries) throws AuxCallException {
                reach(peer);
                entries.forEach(caches.get(peer.id())::put);
            }
        };
    }

    private void reach(NodeAddress peer) throws AuxCallException {
        if (unreachable.contains(peer.id())) {
            throw new AuxCallException(peer.id(), AuxCallException.Kind.REFUSED, "down", null);
        }
    }

    /** Writes {@code key} at {@code version} on every owner but {@code skip}. */
    private void write(String key, String value, long version, String skip) {
        for (String owner : hashRing.owners(key, 2)) {
            if (!owner.equals(skip)) {
                caches.get(owner).put(new Entry(key, value, version, 0));
            }
        }
    }

    private String keyOwnedBy(String first, String second, int n) {
        int found = 0;
        for (int i = 0; ; i++) {
            String k = "key-" + i;
            List<String> owners = hashRing.owners(k, 2);
            if (owners.contains(first) && owners.contains(second) && found++ == n) {
                return k;
            }
        }
    }

    @Test
    void inSync_nothingMoves_andOneRoundTripPerPeerSuffices() {
        for (int i = 0; i < 500; i++) {
            write("k" + i, "v", i + 1, null);
        }
        AntiEntropy.Outcome o = nodes.get("a").reconcile(ring, false, false);
        assertThat(o.complete()).isTrue();
        assertThat(o.pulled() + o.pushed() + o.dropped()).isZero();
        assertThat(syncCalls.get()).isEqualTo(2);
    }

    @Test
    void missedWritesAndDeletes_arePulled_andWhatThePeerLacks_isPushed() {
        for (int i = 0; i < 500; i++) {
            write("k" + i, "v1", 10, null);
        }
        // "b" was away: it missed newer values, a delete and a new key; it alone holds one newer key
        String updated = keyOwnedBy("a", "b", 0);
        String deleted = keyOwnedBy("a", "b", 1);
        String added = keyOwnedBy("a", "b", 2);
        String onlyOnB = keyOwnedBy("a", "b", 3);
        write(updated, "v2", 20, "b");
        for (String owner : hashRing.owners(deleted, 2)) {
            if (!owner.equals("b")) {
                caches.get(owner).delete(deleted, 21);
            }
        }
        write(added, "new", 22, "b");
        caches.get("b").put(new Entry(onlyOnB, "b-newer", 23, 0));

        AntiEntropy.Outcome o = nodes.get("b").reconcile(ring, false, false);

        assertThat(o.complete()).isTrue();
        LruCache b = caches.get("b");
        assertThat(b.getOrTombstone(updated).value()).isEqualTo("v2");
        assertThat(b.getOrTombstone(deleted).isTombstone()).as("the tombstone travels too").isTrue();
        assertThat(b.getOrTombstone(added).value()).isEqualTo("new");
        assertThat(caches.get("a").getOrTombstone(onlyOnB).value()).as("pushed to the peer that held older")
                .isEqualTo("b-newer");
        assertThat(o.pulled()).isEqualTo(3);
        assertThat(o.pushed()).isEqualTo(1);
    }

    @Test
    void aLargeDifference_isAnsweredInPages_andStillRepairedWhole() {
        for (int i = 0; i < 2000; i++) {
            write("k" + i, "v", 5, "c"); // c missed everything
        }
        AntiEntropy.Outcome o = nodes.get("c").reconcile(ring, false, false);
        assertThat(o.complete()).isTrue();
        long expected = 0;
        for (int i = 0; i < 2000; i++) {
            if (hashRing.owners("k" + i, 2).contains("c")) {
                expected++;
                assertThat(caches.get("c").getOrTombstone("k" + i)).isNotNull();
            }
        }
        assertThat(o.pulled()).isEqualTo(expected);
        assertThat(syncCalls.get()).as("answers of at most 50 records").isGreaterThan(2 + (int) (expected / 50) - 1);
    }

    @Test
    void largeValues_areAnsweredInPagesOfBoundedSize_andStillRepairedWhole() {
        String big = "x".repeat(4_000); // 5 fit in an answer of 20,000 characters
        for (int i = 0; i < 200; i++) {
            write("big" + i, big, 5, "c");
        }
        List<Long> answerChars = new java.util.concurrent.CopyOnWriteArrayList<>();
        AntiEntropy.Peers measuring = new AntiEntropy.Peers() {
            @Override
            public SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException {
                SyncReply reply = peers().sync(peer, request);
                answerChars.add(reply.entries().stream().mapToLong(e -> e.key().length() + e.value().length()).sum());
                return reply;
            }

            @Override
            public void putBatch(NodeAddress peer, List<Entry> entries) throws AuxCallException {
                peers().putBatch(peer, entries);
            }
        };
        AntiEntropy c = new AntiEntropy("c", caches.get("c"), measuring, 6, 50, 20_000);

        AntiEntropy.Outcome o = c.reconcile(ring, false, false);

        assertThat(o.complete()).isTrue();
        long expected = java.util.stream.IntStream.range(0, 200).filter(i -> hashRing.owners("big" + i, 2).contains("c")).count();
        assertThat(o.pulled()).isEqualTo(expected);
        // 64 buckets: one bucket may hold more than the bound alone, never two
        long bucketMax = java.util.stream.IntStream.range(0, 200).mapToObj(i -> "big" + i)
                .filter(k -> hashRing.owners(k, 2).contains("c"))
                .collect(java.util.stream.Collectors.groupingBy(k -> hashRing.hashOf(k) >>> 58,
                        java.util.stream.Collectors.summingLong(k -> k.length() + big.length())))
                .values().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(answerChars).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(Math.max(20_000, bucketMax)));
        assertThat(answerChars.size()).as("answers").isGreaterThanOrEqualTo((int) (expected * 4_004 / 20_000));
    }

    @Test
    void periodicRuns_compareEachPairOnce() {
        nodes.get("a").reconcile(ring, false, true);
        nodes.get("b").reconcile(ring, false, true);
        nodes.get("c").reconcile(ring, false, true);
        assertThat(syncCalls.get()).as("a-b, a-c, b-c").isEqualTo(3);
    }

    @Test
    void aPeerThatDoesNotAnswer_leavesTheRunIncomplete() {
        unreachable.add("c");
        AntiEntropy.Outcome o = nodes.get("a").reconcile(ring, false, false);
        assertThat(o.complete()).isFalse();
        assertThat(nodes.get("a").failures()).isEqualTo(1);
    }

    @Test
    void rebuilding_keepsOnlyOwnedKeysAnotherOwnerHolds_takesTheirNewerVersions_andSendsNothing() {
        String kept = keyOwnedBy("a", "b", 0);
        String deletedLongAgo = keyOwnedBy("a", "b", 1);
        String stale = keyOwnedBy("a", "c", 0);
        String notOwned = keyOwnedBy("b", "c", 0);
        write(kept, "v1", 10, null);
        caches.get("a").put(new Entry(deletedLongAgo, "zombie", 5, 0)); // its peers forgot the delete
        caches.get("a").put(new Entry(stale, "old", 5, 0));
        caches.get("c").put(new Entry(stale, "new", 9, 0));
        caches.get("a").put(new Entry(notOwned, "copy", 5, 0));

        AntiEntropy.Outcome o = nodes.get("a").reconcile(ring, true, false);

        assertThat(o.complete()).isTrue();
        LruCache a = caches.get("a");
        assertThat(a.getOrTombstone(kept).value()).isEqualTo("v1");
        assertThat(a.getOrTombstone(deletedLongAgo)).as("no other owner holds it: it was deleted").isNull();
        assertThat(a.getOrTombstone(stale).value()).isEqualTo("new");
        assertThat(a.getOrTombstone(notOwned)).as("not this node's key").isNull();
        assertThat(caches.get("b").getOrTombstone(deletedLongAgo)).as("nothing is handed out").isNull();
        assertThat(o.pushed()).isZero();
        assertThat(o.dropped()).isEqualTo(2);
    }

    @Test
    void rebuilding_dropsNothing_whenAPeerDidNotAnswer() {
        caches.get("a").put(new Entry(keyOwnedBy("a", "b", 0), "zombie", 5, 0));
        unreachable.add("b");
        AntiEntropy.Outcome o = nodes.get("a").reconcile(ring, true, false);
        assertThat(o.complete()).isFalse();
        assertThat(o.dropped()).isZero();
    }

    @Test
    void aRebuildingPeersRecords_areNeverApplied() {
        String key = keyOwnedBy("a", "b", 0);
        caches.get("b").put(new Entry(key, "zombie", 5, 0));
        rebuilding.add("b");
        nodes.get("a").reconcile(ring, false, false);
        assertThat(caches.get("a").getOrTombstone(key)).isNull();
    }
}
