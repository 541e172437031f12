package dev.dcache.master.routing;

import dev.dcache.common.concurrent.Await;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.fencing.Fences;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Routing, replication, failover, read repair, version conflicts and fencing against in-memory aux
 * nodes. The fences run on the fake clock: a node that is down stays a write's blocker until the
 * test moves the clock past the fence wait ({@link #fenceable}).
 */
class DataRouterTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration WRITE_TIMEOUT = Duration.ofMillis(6250);
    private final FakeClock clock = new FakeClock();
    private final FakeAuxClient aux = new FakeAuxClient();
    private final Fences fences = new Fences(clock::nanos, Fences.fenceAfter(INTERVAL), WRITE_TIMEOUT);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Membership membership;
    private DataRouter router;
    /** This master's stalls, as its StallWatch would count them. */
    private final java.util.concurrent.atomic.AtomicLong stalls = new java.util.concurrent.atomic.AtomicLong();

    @BeforeEach
    void setUp() {
        List<NodeAddress> nodes = List.of(new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2),
                new NodeAddress("c", "h", 3));
        membership = new Membership(new Membership.Settings("m-1", 64, 2, INTERVAL.toMillis(), 3, 2, null), nodes, aux,
                fences);
        membership.warmUp();
        router = new DataRouter(membership, aux, new HybridLogicalClock(clock, 1), clock, 2,
                new MasterMetrics(registry), dev.dcache.master.nearcache.NearReads.none(), WRITE_TIMEOUT,
                stalls::get, () -> false);
    }

    /** Moves the clock past the fence wait: a node that has not answered since may be left out of writes. */
    private void fenceable() {
        clock.advance(Fences.fenceAfter(INTERVAL));
    }

    private double writeEvents(String event) {
        return registry.get("dcache.write.events").tag("event", event).counter().count();
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
        DataRouter.WriteResult r = Sync.put(router, "k", "v", 0);
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
        Sync.put(router, "k", "v", 30_000);
        assertThat(aux.store(owners("k").get(0)).get("k").expiresAt()).isEqualTo(clock.millis() + 30_000);
    }

    @Test
    void get_primaryDown_failsOverToReplica() {
        Sync.put(router, "k", "v", 0);
        aux.down.add(owners("k").get(0));
        assertThat(Sync.get(router, "k").value()).isEqualTo("v");
    }

    @Test
    void put_oneOwnerDown_isAcknowledgedByTheOther_onceTheOwnerIsFenced() {
        aux.down.add(owners("k").get(1));
        fenceable();
        assertThat(Sync.put(router, "k", "v", 0).replicas()).isEqualTo(1);
        assertThat(writeEvents("owner_left_out")).isEqualTo(1);
        assertThat(fences.flag(owners("k").get(1))).as("the next heartbeat tells the node it missed writes").isTrue();
    }

    @Test
    void put_ownerThatRefusesConnections_isLeftOutAtOnce_withoutAFenceWait() {
        String replica = owners("k").get(1);
        aux.refused.add(replica); // its process is gone: it cannot serve a read, and restarts recovering
        DataRouter.WriteResult r = Sync.put(router, "k", "v", 0);
        assertThat(r.replicas()).isEqualTo(1);
        assertThat(writeEvents("retry")).as("no wait for the fence").isZero();
        assertThat(writeEvents("owner_left_out")).isEqualTo(1);
        assertThat(fences.flag(replica)).as("the restarted node hears it missed writes").isTrue();
    }

    @Test
    void put_pastItsDeadline_isNotOrderedAgainAboveANewerWrite() throws Exception {
        Sync.put(router, "k", "old", 0);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        aux.orderingGate = gate; // this master stalls with the write's version taken, before it is ordered
        CompletableFuture<DataRouter.WriteResult> late = router.putAsync("k", "late", 0);
        // meanwhile the client gave up, and wrote a newer value through another master
        long newer = aux.store(owners("k").get(0)).get("k").version() + (1L << 40);
        for (String o : owners("k")) {
            aux.store(o).put("k", new Entry("k", "newer", newer, 0));
        }
        clock.advance(WRITE_TIMEOUT.plusSeconds(1));
        aux.orderingGate = null;
        gate.countDown();
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(ApiException.class)
                .cause().hasMessageContaining("before it could be ordered");
        for (String o : owners("k")) {
            assertThat(aux.store(o).get("k").value()).as("on %s", o).isEqualTo("newer");
        }
    }

    @Test
    void put_whoseMasterStalledMidWrite_isNotOrderedAgainAboveANewerWrite() throws Exception {
        Sync.put(router, "k", "old", 0);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        aux.orderingGate = gate;
        CompletableFuture<DataRouter.WriteResult> late = router.putAsync("k", "late", 0);
        long newer = aux.store(owners("k").get(0)).get("k").version() + (1L << 40);
        for (String o : owners("k")) {
            aux.store(o).put("k", new Entry("k", "newer", newer, 0));
        }
        stalls.incrementAndGet(); // paused 2 s, well within the write deadline; nginx answered 504 after 1 s
        aux.orderingGate = null;
        gate.countDown();
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(ApiException.class)
                .cause().hasMessageContaining("before it could be ordered");
        for (String o : owners("k")) {
            assertThat(aux.store(o).get("k").value()).as("on %s", o).isEqualTo("newer");
        }
    }

    @Test
    void put_metANewerVersionWithinItsDeadline_isOrderedAgainAboveIt() {
        Sync.put(router, "k", "old", 0);
        long newer = aux.store(owners("k").get(0)).get("k").version() + (1L << 40);
        aux.store(owners("k").get(0)).put("k", new Entry("k", "newer", newer, 0));
        DataRouter.WriteResult r = Sync.put(router, "k", "latest", 0);
        assertThat(r.version()).isGreaterThan(newer);
        assertThat(writeEvents("conflict")).isEqualTo(1);
    }

    @Test
    void put_ownerDownButNotYetFenced_isRetried_andAcknowledgedOnceItAnswers() throws Exception {
        String replica = owners("k").get(1);
        aux.down.add(replica);
        CompletableFuture<DataRouter.WriteResult> write = router.putAsync("k", "v", 0);
        Await.until(Duration.ofSeconds(30), Duration.ofMillis(5), () -> "two retries, " + writeEvents("retry") + " so far",
                () -> writeEvents("retry") >= 2);
        assertThat(write).as("a node that may still serve reads is not left out").isNotDone();
        aux.down.remove(replica); // it comes back (a restart faster than the fence wait)
        assertThat(write.get(5, TimeUnit.SECONDS).replicas()).isEqualTo(2);
        assertThat(aux.store(replica).get("k").value()).isEqualTo("v");
    }

    @Test
    void put_ownerThatFailsWhileItStillAnswersHeartbeats_isNeverLeftOut_andTheWriteFailsAtTheDeadline()
            throws Exception {
        String replica = owners("k").get(1);
        aux.dataDown.add(replica); // its data calls fail, its heartbeats do not: it may be serving others
        CompletableFuture<DataRouter.WriteResult> write = router.putAsync("k", "v", 0);
        // the fake clock moves the write to its deadline; between steps, the real backoff of its retries passes
        Await.until(Duration.ofSeconds(30), Duration.ofMillis(2), () -> "the write's end", () -> {
            if (write.isDone()) {
                return true;
            }
            clock.advance(Duration.ofMillis(250));
            membership.heartbeatAll();
            return false;
        });
        assertThatThrownBy(() -> write.get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(ApiException.class)
                .cause().hasMessageContaining("could not be reached within the write deadline");
        assertThat(writeEvents("owner_left_out")).isZero();
    }

    @Test
    void put_thatMeetsANewerVersion_isWrittenAgainAboveIt_soAWriteThatStartsLaterAlwaysWins() {
        // another master, whose clock runs ahead, wrote first and was acknowledged
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 1000), 2).next();
        for (String owner : owners("k")) {
            aux.store(owner).put("k", new Entry("k", "first", ahead, 0));
        }
        DataRouter.WriteResult r = Sync.put(router, "k", "second", 0);
        assertThat(r.version()).isGreaterThan(ahead);
        for (String owner : owners("k")) {
            assertThat(aux.store(owner).get("k").value()).isEqualTo("second");
        }
        assertThat(Sync.get(router, "k").value()).isEqualTo("second");
        assertThat(writeEvents("conflict")).isEqualTo(1);
    }

    @Test
    void put_thatMeetsANewerVersionOnACopyOnly_isOrderedBeforeIt_andNothingIsRewritten() {
        // a concurrent write, ordered after ours, reached the other owner first
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 1000), 2).next();
        aux.store(owners("k").get(1)).put("k", new Entry("k", "later", ahead, 0));
        DataRouter.WriteResult r = Sync.put(router, "k", "mine", 0);
        assertThat(r.version()).isLessThan(ahead);
        assertThat(aux.store(owners("k").get(0)).get("k").value()).isEqualTo("mine");
        assertThat(aux.store(owners("k").get(1)).get("k").value()).as("the later write stays").isEqualTo("later");
        assertThat(writeEvents("conflict")).as("only the ordering owner's answer orders a write again").isZero();
    }

    @Test
    void put_orderingOwnerNotServing_theNextOwnerOrders_andTheFirstStillGetsACopy() {
        String first = owners("k").get(0);
        aux.notServing.add(first);
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 1000), 2).next();
        aux.store(owners("k").get(1)).put("k", new Entry("k", "acknowledged earlier", ahead, 0));
        DataRouter.WriteResult r = Sync.put(router, "k", "v", 0);
        assertThat(r.version()).as("ordered by the serving owner, above what it holds").isGreaterThan(ahead);
        assertThat(aux.store(first).get("k").value()).isEqualTo("v");
    }

    @Test
    void put_orderingOwnerDown_isLeftOutOnceFenced_andTheNextOwnerOrders() {
        aux.down.add(owners("k").get(0));
        fenceable();
        DataRouter.WriteResult r = Sync.put(router, "k", "v", 0);
        assertThat(r.replicas()).isEqualTo(1);
        assertThat(aux.store(owners("k").get(1)).get("k").value()).isEqualTo("v");
    }

    @Test
    void delete_thatMeetsANewerVersion_deletesAboveIt_andSaysTheValueExisted() {
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 1000), 2).next();
        for (String owner : owners("k")) {
            aux.store(owner).put("k", new Entry("k", "v", ahead, 0));
        }
        assertThat(Sync.delete(router, "k")).isTrue();
        assertThat(Sync.get(router, "k")).isNull();
        for (String owner : owners("k")) {
            assertThat(aux.store(owner).get("k").isTombstone()).isTrue();
        }
    }

    @Test
    void delete_retriedWithTheSameRequestId_answersAsTheFirstTry_notAbsent() {
        Sync.put(router, "k", "v", 0);
        assertThat(Sync.delete(router, "k", "req-1")).isTrue();
        assertThat(Sync.delete(router, "k", "req-1")).as("a retry of the request that deleted it").isTrue();
        assertThat(Sync.delete(router, "k", "req-2")).as("another request").isFalse();
        assertThat(Sync.get(router, "k")).isNull();
    }

    @Test
    void put_whileTheRingChanges_goesToTheOwnersUnderBothRings_aboveWhatAnyServingOwnerHolds() {
        membership.heartbeatAll(); // settled on a, b, c: remembered as the last settled ring
        // c is ejected; the nodes have not placed their data for the new ring yet
        String key = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "t" + i)
                .filter(k -> owners(k).contains("c")).findFirst().orElseThrow();
        List<String> before = owners(key);
        aux.down.add("c");
        aux.placed = false;
        for (int i = 0; i < 5; i++) {
            clock.advance(INTERVAL);
            membership.heartbeatAll();
        }
        assertThat(membership.view().ring().nodes()).containsExactly("a", "b");
        // another master, still on the old ring, acknowledged a write with a clock ahead of ours
        String survivor = before.stream().filter(o -> !o.equals("c")).findFirst().orElseThrow();
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 5000), 2).next();
        aux.store(survivor).put(key, new Entry(key, "acknowledged elsewhere", ahead, 0));

        DataRouter.WriteResult r = Sync.put(router, key, "mine", 0);

        assertThat(r.version()).isGreaterThan(ahead);
        for (String node : List.of("a", "b")) {
            assertThat(aux.store(node).get(key).value()).as(node).isEqualTo("mine");
        }
    }

    @Test
    void get_skipsAnOwnerThatDoesNotServeReads_andReadsTheOther() {
        Sync.put(router, "k", "v", 0);
        String primary = owners("k").get(0);
        aux.store(primary).put("k", new Entry("k", "stale", 1, 0)); // it missed the write and is catching up
        aux.notServing.add(primary);
        assertThat(Sync.get(router, "k").value()).isEqualTo("v");
        assertThat(membership.isNotServing(primary)).isTrue();
        aux.calls.clear();
        Sync.get(router, "k");
        assertThat(aux.calls.get(0)).as("known not serving: asked last").isNotEqualTo(primary);
    }

    @Test
    void get_noOwnerServes_is503() {
        Sync.put(router, "k", "v", 0);
        aux.notServing.addAll(owners("k"));
        assertThatThrownBy(() -> Sync.get(router, "k")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void allOwnersRefusing_is503_nothingWasApplied() {
        aux.refused.addAll(List.of("a", "b", "c"));
        assertThatThrownBy(() -> Sync.get(router, "k")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
        assertThatThrownBy(() -> Sync.put(router, "k", "v", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void allOwnersTimingOut_readIs503_writeIs504_someOwnerMayHaveAppliedIt() {
        aux.down.addAll(List.of("a", "b", "c"));
        fenceable();
        assertThatThrownBy(() -> Sync.get(router, "k")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
        assertThatThrownBy(() -> Sync.put(router, "k", "v", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(504));
    }

    /** Writes {@code value} with a version far above {@code after}'s to both owners: another master's acknowledged write. */
    private void newerWriteMeanwhile(Entry after, String value) {
        for (String node : owners(after.key())) {
            aux.store(node).put(after.key(), new Entry(after.key(), value, after.version() + 1_000_000, 0));
        }
    }

    /**
     * The first ordering call of "k" gets no answer ({@code how}: {@code aux.droppedOrderings}, not
     * applied, or {@code aux.lostOrderingReplies}, applied), {@code meanwhile} happens, and the owner
     * then vouches for the requests of the last {@code rememberedMillis}.
     *
     * @return the ordering owner
     */
    private String firstOrderingUnanswered(Map<String, java.util.concurrent.atomic.AtomicInteger> how,
                                           java.util.function.Consumer<Entry> meanwhile, long rememberedMillis) {
        String orderer = owners("k").get(0);
        how.put(orderer, new java.util.concurrent.atomic.AtomicInteger(1));
        aux.meanwhile = meanwhile;
        aux.rememberedMillis = rememberedMillis;
        return orderer;
    }

    @Test
    void orderingTryUnanswered_newerWriteMeanwhile_ownerVouchesItWasNotApplied_orderedAgainAbove() {
        firstOrderingUnanswered(aux.droppedOrderings, e -> newerWriteMeanwhile(e, "other"), 60_000);

        DataRouter.WriteResult r = Sync.put(router, "k", "mine", 0);

        for (String node : owners("k")) {
            Entry held = aux.store(node).get("k");
            assertThat(held.value()).as("on %s", node).isEqualTo("mine");
            assertThat(held.version()).isEqualTo(r.version());
        }
        assertThat(writeEvents("conflict")).isEqualTo(1);
    }

    @Test
    void orderingTryUnanswered_newerWriteMeanwhile_ownerCannotVouch_is504() {
        // 0: e.g. it restarted just now, or its memory of requests overflowed
        String orderer = firstOrderingUnanswered(aux.droppedOrderings, e -> newerWriteMeanwhile(e, "other"), 0);

        assertThatThrownBy(() -> Sync.put(router, "k", "mine", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(504));
        assertThat(aux.store(orderer).get("k").value()).isEqualTo("other");
    }

    @Test
    void orderingTryUnanswered_ownerRemembersLessThanTheWriteTook_is504() {
        firstOrderingUnanswered(aux.droppedOrderings, e -> {
            newerWriteMeanwhile(e, "other");
            clock.advance(Duration.ofSeconds(2)); // the write has been going for 2 s ...
        }, 1_500); // ... and the owner's memory reaches back 1.5 s

        assertThatThrownBy(() -> Sync.put(router, "k", "mine", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(504));
    }

    @Test
    void orderingTryAppliedButUnanswered_newerWriteMeanwhile_retryReplays_neverReordered() {
        firstOrderingUnanswered(aux.lostOrderingReplies, e -> newerWriteMeanwhile(e, "other"), 60_000);

        DataRouter.WriteResult r = Sync.put(router, "k", "mine", 0);

        // acknowledged with the version it was applied with, which the newer write overtook everywhere
        for (String node : owners("k")) {
            Entry held = aux.store(node).get("k");
            assertThat(held.value()).as("on %s", node).isEqualTo("other");
            assertThat(held.version()).isGreaterThan(r.version());
        }
        assertThat(writeEvents("conflict")).isZero();
    }

    /** Found by ResilienceSystemTest in CI: a SIGKILLed ordering owner, a delete of an absent key answered 504. */
    @Test
    void deleteTryUnansweredByAnOwnerThatIsThenGone_nextOwnerAppliesIt_answersWhetherTheKeyExisted() {
        List<String> owners = owners("absent");
        aux.droppedOrderings.put(owners.get(0), new java.util.concurrent.atomic.AtomicInteger(1));
        aux.meanwhile = e -> aux.refused.add(owners.get(0)); // killed with the call in flight

        assertThat(Sync.delete(router, "absent")).as("the next owner held no value").isFalse();
        assertThat(aux.store(owners.get(1)).get("absent").isTombstone()).isTrue();
    }

    /**
     * Found by OverloadSystemTest in CI: the first ordering owner applied a write but its answer was
     * lost, then it stopped answering (left out), and the next owner was catching up (not serving).
     * The write used to answer 504 at once; a put now asks that owner again until it serves.
     */
    @Test
    void putTryUnansweredByAnOwnerThatIsThenGone_nextOwnerCatchingUp_isAskedAgainOnceItServes() {
        List<String> owners = owners("k");
        aux.lostOrderingReplies.put(owners.get(0), new java.util.concurrent.atomic.AtomicInteger(1));
        aux.meanwhile = e -> {
            aux.refused.add(owners.get(0)); // gone with the answer in flight
            aux.notServing.add(owners.get(1)); // catching up
        };
        java.util.concurrent.CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> aux.notServing.remove(owners.get(1)));

        DataRouter.WriteResult r = Sync.put(router, "k", "mine", 0);

        assertThat(r.replicas()).isEqualTo(1);
        for (String node : owners) {
            Entry held = aux.store(node).get("k");
            assertThat(held.value()).as("on %s", node).isEqualTo("mine");
            assertThat(held.version()).as("one version everywhere").isEqualTo(r.version());
        }
    }

    @Test
    void deleteTryUnansweredByAnOwnerThatIsThenGone_nextOwnerCatchingUp_is504() {
        List<String> owners = owners("k");
        Sync.put(router, "k", "v", 0);
        aux.droppedOrderings.put(owners.get(0), new java.util.concurrent.atomic.AtomicInteger(1));
        aux.meanwhile = e -> {
            aux.refused.add(owners.get(0));
            aux.notServing.add(owners.get(1));
        };

        // a delete may not wait: the owner could catch up our tombstone, and whether a value existed is lost
        assertThatThrownBy(() -> Sync.delete(router, "k")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(504));
    }

    @Test
    void orderingTryUnansweredByAFencedOwner_nextOwnerHoldsNewer_is504_whateverItRemembers() {
        List<String> owners = owners("k");
        aux.down.add(owners.get(0));
        fenceable();
        aux.store(owners.get(1)).put("k", new Entry("k", "other", Long.MAX_VALUE / 2, 0));
        aux.rememberedMillis = 60_000; // vouches for itself only: the fenced owner may have applied it

        assertThatThrownBy(() -> Sync.put(router, "k", "mine", 0)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(504));
    }

    @Test
    void get_primaryLacksKey_readsReplica_andRepairsPrimary() throws Exception {
        Sync.put(router, "k", "v", 0);
        String primary = owners("k").get(0);
        aux.store(primary).remove("k");
        assertThat(Sync.get(router, "k").value()).isEqualTo("v");
        Await.until(Duration.ofSeconds(30), "the asynchronous repair of the primary", () -> aux.store(primary).get("k") != null);
        assertThat(aux.store(primary).get("k").value()).isEqualTo("v");
    }

    @Test
    void get_primaryHasTombstone_isAbsent_evenIfReplicaHasAnOlderValue() {
        Sync.put(router, "k", "old", 0);
        String replica = owners("k").get(1);
        aux.down.add(replica);
        fenceable();
        assertThat(Sync.delete(router, "k")).isTrue();
        aux.down.remove(replica);
        assertThat(aux.store(replica).get("k").value()).isEqualTo("old");
        aux.calls.clear();
        assertThat(Sync.get(router, "k")).isNull();
        assertThat(aux.calls.stream().filter(replica::equals).count()).as("replica never asked").isZero();
    }

    @Test
    void delete_absentEverywhere_isFalse_andLeavesTombstones() {
        assertThat(Sync.delete(router, "nothing")).isFalse();
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
        assertThat(aux.calls).as("one ordering batch per node, then one copy batch per node").hasSize(6);
        assertThat(router.getAll(List.of("k1", "k50", "missing"))).containsOnlyKeys("k1", "k50");
    }

    @Test
    void putAll_keysThatMetANewerVersion_areWrittenAgainAboveIt() {
        long ahead = new HybridLogicalClock(() -> java.time.Instant.ofEpochMilli(clock.millis() + 1000), 2).next();
        aux.store(owners("k7").get(0)).put("k7", new Entry("k7", "other", ahead, 0));
        List<DataRouter.BulkItem> items = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            items.add(new DataRouter.BulkItem("k" + i, "v" + i, 0));
        }
        assertThat(router.putAll(items)).isEqualTo(20);
        for (String owner : owners("k7")) {
            assertThat(aux.store(owner).get("k7").value()).isEqualTo("v7");
        }
    }

    @Test
    void putAll_aRepeatedKey_theLastItemWins() {
        assertThat(router.putAll(List.of(new DataRouter.BulkItem("k", "1", 0), new DataRouter.BulkItem("k", "2", 0))))
                .isEqualTo(1);
        assertThat(Sync.get(router, "k").value()).isEqualTo("2");
    }

    @Test
    void getAll_nodeDown_failsOverPerKey() {
        List<DataRouter.BulkItem> items = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            items.add(new DataRouter.BulkItem("k" + i, "v" + i, 0));
        }
        router.putAll(items);
        aux.down.add("a");
        aux.notServing.add("b"); // one that answers it does not serve reads is skipped too
        List<String> keys = items.stream().map(DataRouter.BulkItem::key).toList();
        assertThat(router.getAll(keys)).hasSize(50);
    }

    /**
     * Found by ConsistencySystemTest in CI (a paused aux node ejected, then readmitted): a master
     * still on the old ring orders a delete at the old ring's first owner; a write through a master
     * on the new ring was ordered only at the new ring's first owner, copied to the other with a
     * lower version, and acknowledged under a delete that had answered "absent".
     */
    @Test
    void put_whileTheRingChanges_isOrderedFirstWhereAMasterOnTheOldRingOrders_thenWhereTheNewRingOrders() {
        aux.down.add("c");
        for (int i = 0; i < 10; i++) { // c is ejected, and the ring without it settles
            clock.advance(INTERVAL);
            membership.heartbeatAll();
        }
        assertThat(membership.view().ring().nodes()).containsExactly("a", "b");
        List<String> oldRing = List.of("a", "b");
        aux.down.remove("c");
        aux.placed = false;
        for (int i = 0; i < 3; i++) { // c is back; the nodes have not placed their data for that ring yet
            clock.advance(INTERVAL);
            membership.heartbeatAll();
        }
        assertThat(membership.view().ring().nodes()).containsExactly("a", "b", "c");
        assertThat(membership.routesAlone(membership.view())).isFalse();
        String key = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "r" + i)
                .filter(k -> owners(k).get(0).equals("c")).findFirst().orElseThrow();
        String oldOrderer = new dev.dcache.common.ring.HashRing(oldRing, 64, dev.dcache.common.hash.HashFunction.FNV1A_MIX)
                .owners(key, 2).get(0);
        // just before our write is first ordered, a master on the old ring deletes the key there
        // (its clock ahead of ours); the key was absent, so that delete answered "absent"
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        long[] deleted = new long[1];
        aux.beforeOrdering = (node, e) -> {
            if (e.key().equals(key) && once.compareAndSet(false, true)) {
                deleted[0] = e.version() + 1_000_000;
                aux.store(oldOrderer).put(key, new Entry(key, null, deleted[0], 0));
            }
        };

        DataRouter.WriteResult r = Sync.put(router, key, "mine", 0);

        // ordered after that delete wherever it is read: the delete was not told of it
        assertThat(r.version()).isGreaterThan(deleted[0]);
        for (String node : List.of(oldOrderer, "c")) {
            assertThat(aux.store(node).get(key).value()).as(node).isEqualTo("mine");
        }
        assertThat(Sync.get(router, key).value()).isEqualTo("mine");
    }

    @Test
    void get_whileRebalancing_answersTheNewestOwnerCopy_andRepairsTheOthers() throws Exception {
        Sync.put(router, "k", "new", 0);
        String primary = owners("k").get(0);
        String replica = owners("k").get(1);
        Entry newer = aux.store(replica).get("k");
        aux.store(primary).put("k", new Entry("k", "old", newer.version() - 1, 0)); // a restored, older copy
        aux.placed = false;
        membership.heartbeatAll(); // the nodes now report rebalancing in progress

        assertThat(Sync.get(router, "k").value()).isEqualTo("new");
        Await.until(Duration.ofSeconds(30), "the asynchronous repair of the primary",
                () -> "new".equals(aux.store(primary).get("k").value()));
        assertThat(aux.store(primary).get("k").value()).isEqualTo("new");
    }

    @Test
    void get_whileRebalancing_asksSuspectOwnersToo() {
        Sync.put(router, "k", "v", 0);
        String primary = owners("k").get(0);
        aux.store(owners("k").get(1)).remove("k");
        aux.placed = false;
        membership.heartbeatAll();
        membership.reportCallFailure(primary, dev.dcache.common.client.AuxCallException.Kind.TIMEOUT);
        assertThat(Sync.get(router, "k").value()).isEqualTo("v");
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
