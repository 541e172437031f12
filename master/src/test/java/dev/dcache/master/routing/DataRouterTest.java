package dev.dcache.master.routing;

import dev.dcache.common.http.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.cluster.Membership;
import dev.dcache.master.FakeAuxClient;
import dev.dcache.master.metrics.MasterMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Routing, replication, failover and read repair against in-memory aux nodes. */
class DataRouterTest {
    private final FakeClock clock = new FakeClock();
    private final FakeAuxClient aux = new FakeAuxClient();
    private Membership membership;
    private DataRouter router;

    @BeforeEach
    void setUp() {
        List<NodeAddress> nodes = List.of(new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2),
                new NodeAddress("c", "h", 3));
        membership = new Membership(new Membership.Settings("m-1", 64, 2, 1000, 3, 2, null), nodes, aux);
        membership.warmUp();
        router = new DataRouter(membership, aux, new HybridLogicalClock(clock, 1), clock, 2,
                new MasterMetrics(new SimpleMeterRegistry()));
    }

    @AfterEach
    void tearDown() {
        router.close();
        membership.close();
    }

    private List<String> owners(String key) {
        return membership.view().ring().owners(key, 2);
    }

    @Test
    void put_writesTheSameVersionToBothOwners_andNowhereElse() {
        DataRouter.WriteResult r = router.put("k", "v", 0);
        assertThat(r.replicas()).isEqualTo(2);
        for (String node : List.of("a", "b", "c")) {
            Entry e = aux.store(node).get("k");
            if (owners("k").contains(node)) {
                assertThat(e.version()).isEqualTo(r.version());
            } else {
                assertThat(e).isNull();
            }
        }
    }

    @Test
    void put_withTtl_storesAbsoluteExpiry() {
        router.put("k", "v", 30_000);
        assertThat(aux.store(owners("k").get(0)).get("k").expiresAt()).isEqualTo(clock.millis() + 30_000);
    }

    @Test
    void get_primaryDown_failsOverToReplica() {
        router.put("k", "v", 0);
        aux.down.add(owners("k").get(0));
        assertThat(router.get("k").value()).isEqualTo("v");
    }

    @Test
    void put_oneOwnerDown_isAcknowledgedByTheOther() {
        aux.down.add(owners("k").get(1));
        assertThat(router.put("k", "v", 0).replicas()).isEqualTo(1);
    }

    @Test
    void allOwnersDown_is503() {
        aux.down.addAll(List.of("a", "b", "c"));
        assertThatThrownBy(() -> router.get("k")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
        assertThatThrownBy(() -> router.put("k", "v", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void get_primaryLacksKey_readsReplica_andRepairsPrimary() throws Exception {
        router.put("k", "v", 0);
        String primary = owners("k").get(0);
        aux.store(primary).remove("k");
        assertThat(router.get("k").value()).isEqualTo("v");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (aux.store(primary).get("k") == null && System.nanoTime() < deadline) {
            Thread.sleep(10); // the repair is asynchronous
        }
        assertThat(aux.store(primary).get("k").value()).isEqualTo("v");
    }

    @Test
    void get_primaryHasTombstone_isAbsent_evenIfReplicaHasAnOlderValue() {
        router.put("k", "old", 0);
        String replica = owners("k").get(1);
        aux.down.add(replica);
        assertThat(router.delete("k")).isTrue();
        aux.down.remove(replica);
        assertThat(aux.store(replica).get("k").value()).isEqualTo("old");
        aux.calls.clear();
        assertThat(router.get("k")).isNull();
        assertThat(aux.calls.stream().filter(replica::equals).count()).as("replica never asked").isZero();
    }

    @Test
    void delete_absentEverywhere_isFalse_andLeavesTombstones() {
        assertThat(router.delete("nothing")).isFalse();
        assertThat(aux.store(owners("nothing").get(0)).get("nothing").isTombstone()).isTrue();
    }

    @Test
    void putAll_groupsPerNode_andReportsStoredKeys() {
        List<DataRouter.BulkItem> items = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            items.add(new DataRouter.BulkItem("k" + i, "v" + i, 0));
        }
        aux.calls.clear();
        assertThat(router.putAll(items)).isEqualTo(100);
        assertThat(aux.calls).hasSize(3); // one batch call per node
        assertThat(router.getAll(List.of("k1", "k50", "missing"))).containsOnlyKeys("k1", "k50");
    }

    @Test
    void getAll_nodeDown_failsOverPerKey() {
        List<DataRouter.BulkItem> items = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            items.add(new DataRouter.BulkItem("k" + i, "v" + i, 0));
        }
        router.putAll(items);
        aux.down.add("a");
        List<String> keys = items.stream().map(DataRouter.BulkItem::key).toList();
        assertThat(router.getAll(keys)).hasSize(50);
    }

    @Test
    void get_whileRebalancing_answersTheNewestOwnerCopy_andRepairsTheOthers() throws Exception {
        router.put("k", "new", 0);
        String primary = owners("k").get(0);
        String replica = owners("k").get(1);
        Entry newer = aux.store(replica).get("k");
        aux.store(primary).put("k", new Entry("k", "old", newer.version() - 1, 0)); // a restored, older copy
        aux.placed = false;
        membership.heartbeatAll(); // the nodes now report rebalancing in progress

        assertThat(router.get("k").value()).isEqualTo("new");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!"new".equals(aux.store(primary).get("k").value()) && System.nanoTime() < deadline) {
            Thread.sleep(10); // the repair is asynchronous
        }
        assertThat(aux.store(primary).get("k").value()).isEqualTo("new");
    }

    @Test
    void get_whileRebalancing_asksSuspectOwnersToo() {
        router.put("k", "v", 0);
        String primary = owners("k").get(0);
        aux.store(owners("k").get(1)).remove("k");
        aux.placed = false;
        membership.heartbeatAll();
        membership.reportCallFailure(primary, dev.dcache.common.client.AuxCallException.Kind.TIMEOUT);
        assertThat(router.get("k").value()).isEqualTo("v");
    }

    /** Found by the overload test: a 500 (IndexOutOfBoundsException) instead of a 503. */
    @Test
    void getAll_fewerNodesUpThanReplicas_andTheirBatchFails_is503NotACrash() {
        FakeAuxClient one = new FakeAuxClient();
        Membership single = new Membership(new Membership.Settings("m-1", 64, 2, 1000, 3, 2, null),
                List.of(new NodeAddress("a", "h", 1)), one);
        single.warmUp();
        DataRouter r = new DataRouter(single, one, new HybridLogicalClock(clock, 1), clock, 2,
                new MasterMetrics(new SimpleMeterRegistry()));
        try {
            one.down.add("a"); // after the warm-up: the ring still has it, its batch call fails

            assertThatThrownBy(() -> r.getAll(List.of("k1", "k2")))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
        } finally {
            r.close();
            single.close();
        }
    }
}
