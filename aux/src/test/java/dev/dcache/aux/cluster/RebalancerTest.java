package dev.dcache.aux.cluster;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RingSpec;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Rebalancer} over in-process peers (each a real {@link LruCache}), for what the system
 * tests see only as a placement violation: records a node takes as a former owner while the
 * masters' new ring settles.
 */
class RebalancerTest {
    private static final long FAR = Long.MAX_VALUE / 2;
    private final FakeClock clock = new FakeClock();
    private final Map<String, LruCache> nodes = new HashMap<>();
    private final Set<String> unreachable = new java.util.HashSet<>();

    private LruCache cache(String id) {
        return nodes.computeIfAbsent(id, x -> new LruCache(100_000, 64L << 20, 4, 60_000, clock));
    }

    /** An AuxClient whose putBatch applies records to the named peer's cache; nothing else is used. */
    private AuxClient peers() {
        return (AuxClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{AuxClient.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("putBatch")) {
                        NodeAddress node = (NodeAddress) args[0];
                        if (unreachable.contains(node.id())) {
                            throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "unreachable", null);
                        }
                        @SuppressWarnings("unchecked")
                        List<Entry> entries = (List<Entry>) args[1];
                        entries.forEach(cache(node.id())::put);
                        return new BatchPutOutcome(entries.size(), 0, List.of());
                    }
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static RingSpec ring(int rf, String... ids) {
        List<NodeAddress> list = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            list.add(new NodeAddress(ids[i], "h", 9000 + i));
        }
        return new RingSpec(list, rf, 32, new HashRing(List.of(ids), 32, HashFunction.FNV1A_MIX).fingerprint());
    }

    /** A key {@code id} owns under {@code owner} but not under {@code notOwner}. */
    private static String keyOwnedThenNot(String id, RingSpec owner, RingSpec notOwner) {
        HashRing a = owner.toRing();
        HashRing b = notOwner.toRing();
        for (int i = 0; ; i++) {
            String k = "k" + i;
            if (a.ownersOfHash(a.hashOf(k), owner.replicationFactor()).contains(id)
                    && !b.ownersOfHash(b.hashOf(k), notOwner.replicationFactor()).contains(id)) {
                return k;
            }
        }
    }

    private static List<String> owners(RingSpec ring, String key) {
        HashRing r = ring.toRing();
        return r.ownersOfHash(r.hashOf(key), ring.replicationFactor());
    }

    @Test
    void sweepStrays_sendsRecordsTakenAsFormerOwnerToTheirOwners_andDropsThem() {
        RingSpec before = ring(2, "a", "b", "c");
        RingSpec after = ring(2, "a", "b", "c", "d");
        Rebalancer rebalancer = new Rebalancer("a", cache("a"), peers(), moved -> { }, clock);
        String key = keyOwnedThenNot("a", before, after);

        rebalancer.targetAndPlaceIfEmpty(before);
        cache("a").put(new Entry("seed", "x", 1, FAR)); // not empty, so the first pass runs
        assertThat(rebalancer.run()).isTrue();
        rebalancer.targetAndPlaceIfEmpty(after);
        assertThat(rebalancer.run()).isTrue();
        assertThat(rebalancer.straysPending()).isTrue();
        assertThat(rebalancer.status().straysPending()).isTrue();

        // a master still writing to the owners under the last settled ring reaches "a" after its pass
        cache("a").put(new Entry(key, "newest", 7, FAR));
        assertThat(rebalancer.sweepStrays(() -> true)).isTrue();

        assertThat(cache("a").peek(key)).as("stray dropped by the former owner").isNull();
        for (String owner : owners(after, key)) {
            assertThat(cache(owner).peek(key).value()).as("owner %s took the stray", owner).isEqualTo("newest");
        }
        assertThat(rebalancer.straysPending()).isFalse();
        assertThat(rebalancer.status().straysPending()).isFalse();
        assertThat(rebalancer.status().running()).isFalse();
    }

    @Test
    void sweepStrays_ringNoLongerSettled_dropsNothing() {
        RingSpec before = ring(2, "a", "b", "c");
        RingSpec after = ring(2, "a", "b", "c", "d");
        Rebalancer rebalancer = new Rebalancer("a", cache("a"), peers(), moved -> { }, clock);
        String key = keyOwnedThenNot("a", before, after);
        rebalancer.targetAndPlaceIfEmpty(before);
        cache("a").put(new Entry("seed", "x", 1, FAR));
        rebalancer.run();
        rebalancer.targetAndPlaceIfEmpty(after);
        rebalancer.run();

        cache("a").put(new Entry(key, "v", 3, FAR));
        // a master moved on to a newer ring meanwhile, under which this node may own the record again
        assertThat(rebalancer.sweepStrays(() -> false)).isFalse();
        assertThat(cache("a").peek(key).value()).isEqualTo("v");
        assertThat(rebalancer.straysPending()).isTrue();
    }

    @Test
    void sweepStrays_ownerUnreachable_keepsTheRecordAndStaysPending() {
        RingSpec before = ring(1, "a", "b");
        RingSpec after = ring(1, "a", "b", "c");
        Rebalancer rebalancer = new Rebalancer("a", cache("a"), peers(), moved -> { }, clock);
        String key = keyOwnedThenNot("a", before, after);
        rebalancer.targetAndPlaceIfEmpty(before);
        cache("a").put(new Entry("seed", "x", 1, FAR));
        rebalancer.run();
        rebalancer.targetAndPlaceIfEmpty(after);
        rebalancer.run();

        cache("a").put(new Entry(key, "v", 3, FAR));
        unreachable.addAll(owners(after, key));
        assertThat(rebalancer.sweepStrays(() -> true)).isFalse();
        assertThat(cache("a").peek(key).value()).isEqualTo("v");
        assertThat(rebalancer.straysPending()).isTrue();

        unreachable.clear();
        assertThat(rebalancer.sweepStrays(() -> true)).isTrue();
        assertThat(cache("a").peek(key)).isNull();
        assertThat(cache(owners(after, key).get(0)).peek(key).value()).isEqualTo("v");
    }

    @Test
    void sweepStrays_keepsRecordsTheNodeOwns_andDoesNothingWhileAPassIsPending() {
        RingSpec r1 = ring(2, "a", "b", "c");
        RingSpec r2 = ring(2, "a", "b", "c", "d");
        Rebalancer rebalancer = new Rebalancer("a", cache("a"), peers(), moved -> { }, clock);
        rebalancer.targetAndPlaceIfEmpty(r1);
        String owned = keyOwnedThenNot("a", r1, ring(2, "b", "c"));
        cache("a").put(new Entry(owned, "mine", 2, FAR));
        rebalancer.run();

        rebalancer.targetAndPlaceIfEmpty(r2); // not placed for r2 yet
        assertThat(rebalancer.sweepStrays(() -> true)).isFalse();
        assertThat(cache("a").peek(owned)).isNotNull();

        rebalancer.run();
        assertThat(rebalancer.sweepStrays(() -> true)).isTrue();
        boolean stillOwner = owners(r2, owned).contains("a");
        assertThat(cache("a").peek(owned) != null).isEqualTo(stillOwner);
    }
}
