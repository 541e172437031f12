package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.client.WriteMode;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.ReadReply;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.master.FakeAuxClient;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.nearcache.InvalidationPush;
import dev.dcache.master.nearcache.NearCache;
import dev.dcache.master.nearcache.NearReads;
import dev.dcache.master.singleflight.SingleFlight;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The router's single reads through the near cache and the coalescer, against in-memory aux nodes. */
class DataRouterNearReadsTest {
    private static final Duration BOUND = Duration.ofMillis(1000);
    private static final int HOT = 2;

    /**
     * {@link FakeAuxClient} whose single reads are counted and can be held: the next read
     * after {@link #holdNextRead()} takes its answer from the store, then waits for {@link #release}.
     */
    static final class GatedAux implements AuxClient {
        final FakeAuxClient inner = new FakeAuxClient();
        final AtomicInteger reads = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private volatile boolean holdNext;

        void holdNextRead() {
            holdNext = true;
        }

        @Override
        public ReadReply read(NodeAddress node, String key) throws AuxCallException {
            ReadReply e = inner.read(node, key);
            reads.incrementAndGet();
            if (holdNext) {
                holdNext = false;
                entered.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the held read was never released");
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ex);
                }
            }
            return e;
        }

        @Override
        public PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException {
            return inner.put(node, entry, mode);
        }

        @Override
        public DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException {
            return inner.delete(node, key, version, mode);
        }

        @Override
        public List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException {
            return inner.getBatch(node, keys);
        }

        @Override
        public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
            return inner.putBatch(node, entries, mode);
        }

        @Override
        public List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) {
            throw new UnsupportedOperationException();
        }

        @Override
        public NodeHealth health(NodeAddress node) throws AuxCallException {
            return inner.health(node);
        }

        @Override
        public HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException {
            return inner.heartbeat(node, heartbeat);
        }

        @Override
        public void close() {
        }
    }

    private final FakeClock clock = new FakeClock();
    private final GatedAux aux = new GatedAux();
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private Membership membership;
    private DataRouter router;
    private NearReads nearReads;

    private void start(boolean nearCache, boolean coalescing) {
        start(nearCache, coalescing, null);
    }

    private void start(boolean nearCache, boolean coalescing, InvalidationPush push) {
        List<NodeAddress> nodes = List.of(new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2),
                new NodeAddress("c", "h", 3));
        membership = new Membership(new Membership.Settings("m-1", 64, 2, 1000, 3, 2, null), nodes, aux);
        membership.warmUp();
        nearReads = new NearReads(nearCache ? new NearCache(clock, 100, 1 << 20, BOUND, HOT) : null,
                coalescing ? new SingleFlight<>(Duration.ofSeconds(30)) : null, push);
        router = new DataRouter(membership, aux, new HybridLogicalClock(clock, 1), clock, 2,
                new MasterMetrics(new SimpleMeterRegistry()), nearReads);
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        router.close();
        membership.close();
    }

    private void readUntilCached(String key) {
        for (int i = 0; i <= HOT; i++) {
            Sync.get(router, key);
        }
    }

    @Test
    void get_hotKey_isAnsweredLocally_untilTheBound() {
        start(true, true);
        Sync.put(router, "k", "v1", 0);
        readUntilCached("k");
        int before = aux.reads.get();
        assertThat(Sync.get(router, "k").value()).isEqualTo("v1");
        assertThat(aux.reads.get()).as("no aux read for a near hit").isEqualTo(before);

        clock.advance(BOUND);
        assertThat(Sync.get(router, "k").value()).isEqualTo("v1");
        assertThat(aux.reads.get()).as("refetched at the bound").isEqualTo(before + 1);
    }

    @Test
    void get_coldKey_alwaysReadsTheAuxNodes() {
        start(true, true);
        Sync.put(router, "k", "v", 0);
        Sync.get(router, "k");
        assertThat(nearReads.entries()).isZero();
    }

    @Test
    void get_nearCacheOff_readsTheAuxNodesEveryTime() {
        start(false, true);
        Sync.put(router, "k", "v", 0);
        for (int i = 0; i < 10; i++) {
            Sync.get(router, "k");
        }
        assertThat(aux.reads.get()).isEqualTo(10);
        assertThat(nearReads.hits()).isZero();
    }

    @Test
    void put_throughThisMaster_isReadBackAtOnce() {
        start(true, true);
        Sync.put(router, "k", "v1", 0);
        readUntilCached("k");
        Sync.put(router, "k", "v2", 0);
        assertThat(Sync.get(router, "k").value()).isEqualTo("v2");
        assertThat(nearReads.invalidations()).isEqualTo(1);
    }

    @Test
    void delete_throughThisMaster_isAbsentAtOnce() {
        start(true, true);
        Sync.put(router, "k", "v1", 0);
        readUntilCached("k");
        assertThat(Sync.delete(router, "k")).isTrue();
        assertThat(Sync.get(router, "k")).isNull();
    }

    @Test
    void putAll_throughThisMaster_isReadBackAtOnce() {
        start(true, true);
        Sync.put(router, "a", "1", 0);
        Sync.put(router, "b", "1", 0);
        readUntilCached("a");
        readUntilCached("b");
        router.putAll(List.of(new DataRouter.BulkItem("a", "2", 0), new DataRouter.BulkItem("b", "2", 0)));
        assertThat(Sync.get(router, "a").value()).isEqualTo("2");
        assertThat(Sync.get(router, "b").value()).isEqualTo("2");
    }

    @Test
    void put_whileAReadOfTheOldValueIsInFlight_laterReadsSeeTheNewValue_andTheOldIsNotCached() throws Exception {
        start(true, true);
        Sync.put(router, "k", "old", 0);
        for (int i = 0; i < HOT; i++) {
            Sync.get(router, "k"); // hot, but keep the cache empty: the held read below is the one to be offered
        }
        aux.holdNextRead();
        clock.advance(BOUND); // whatever was cached is stale now
        Future<Entry> inFlight = pool.submit(() -> Sync.get(router, "k"));
        assertThat(aux.entered.await(30, TimeUnit.SECONDS)).isTrue(); // it has read "old" and waits

        Sync.put(router, "k", "new", 0);
        assertThat(Sync.get(router, "k").value()).as("does not join the read begun before the write").isEqualTo("new");

        aux.release.countDown();
        assertThat(inFlight.get(30, TimeUnit.SECONDS).value()).isEqualTo("old"); // it began before the write
        assertThat(Sync.get(router, "k").value()).as("the old value was not cached").isEqualTo("new");
    }

    /** Another master's write, made straight on the owners as that master would. */
    private void writeThroughAnotherMaster(String key, String value) throws AuxCallException {
        long newest = aux.inner.stores.values().stream().map(store -> store.get(key)).filter(x -> x != null)
                .mapToLong(Entry::version).max().orElse(0);
        Entry e = new Entry(key, value, newest + 1, 0);
        for (NodeAddress n : membership.view().owners(key, 2)) {
            aux.inner.put(n, e);
        }
    }

    @Test
    void writesThroughThisMaster_arePushedToTheOtherMasters_onceEach() throws Exception {
        List<String> pushed = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch fourKeysPushed = new java.util.concurrent.CountDownLatch(4);
        try (InvalidationPush push = new InvalidationPush("m-1", () -> List.of(new NodeAddress("m-2", "h", 9)),
                (peer, batch) -> {
                    pushed.addAll(batch.keys());
                    batch.keys().forEach(k -> fourKeysPushed.countDown());
                }, 100, 1 << 20)) {
            start(true, true, push);
            Sync.put(router, "p", "1", 0);
            Sync.delete(router, "d"); // another key: a batch merges repeats of one key
            router.putAll(List.of(new DataRouter.BulkItem("q", "1", 0), new DataRouter.BulkItem("r", "1", 0)));
            fourKeysPushed.await(10, TimeUnit.SECONDS); // bounded: the assertion below says if not
            assertThat(pushed).containsExactlyInAnyOrder("p", "d", "q", "r");
        }
    }

    @Test
    void aPushFromAnotherMaster_dropsTheCopy_beforeTheBound() throws Exception {
        start(true, true);
        Sync.put(router, "k", "v1", 0);
        readUntilCached("k");
        writeThroughAnotherMaster("k", "v2");
        assertThat(Sync.get(router, "k").value()).as("the copy, within the bound").isEqualTo("v1");

        nearReads.invalidatePushed("k");
        assertThat(Sync.get(router, "k").value()).isEqualTo("v2");
    }

    @Test
    void aPushThatMayHaveBeenLost_dropsEveryCopy_andEveryReadUnderWay() throws Exception {
        start(true, true);
        Sync.put(router, "k", "v1", 0);
        Sync.put(router, "j", "v1", 0);
        readUntilCached("k");
        readUntilCached("j");
        writeThroughAnotherMaster("k", "v2");
        writeThroughAnotherMaster("j", "v2");

        nearReads.invalidateEverything();
        assertThat(Sync.get(router, "k").value()).isEqualTo("v2");
        assertThat(Sync.get(router, "j").value()).isEqualTo("v2");
        assertThat(nearReads.invalidations()).isEqualTo(2);
    }

    @Test
    void aPushArrivingWhileAReadIsInFlight_keepsThatReadOutOfTheCache() throws Exception {
        start(true, true);
        Sync.put(router, "k", "old", 0);
        for (int i = 0; i < HOT; i++) {
            Sync.get(router, "k");
        }
        aux.holdNextRead();
        clock.advance(BOUND);
        Future<Entry> inFlight = pool.submit(() -> Sync.get(router, "k"));
        assertThat(aux.entered.await(30, TimeUnit.SECONDS)).isTrue(); // it has read "old" and waits

        writeThroughAnotherMaster("k", "new");
        nearReads.invalidatePushed("k");
        aux.release.countDown();
        assertThat(inFlight.get(30, TimeUnit.SECONDS).value()).isEqualTo("old");
        assertThat(Sync.get(router, "k").value()).as("the read begun before the push was not cached").isEqualTo("new");
    }

    @ParameterizedTest(name = "nearCache={0}")
    @ValueSource(booleans = {false, true})
    void get_manyConcurrentMissesOfOneKey_makeTwoAuxReads_theRunningOneAndOneSharedByAllWhoCameDuringIt(
            boolean nearCache) throws Exception {
        start(nearCache, true);
        Sync.put(router, "k", "v", 0);
        aux.holdNextRead();
        Future<Entry> first = pool.submit(() -> Sync.get(router, "k"));
        assertThat(aux.entered.await(30, TimeUnit.SECONDS)).isTrue();
        List<Future<Entry>> others = new ArrayList<>();
        int n = 32;
        for (int i = 0; i < n; i++) {
            others.add(pool.submit(() -> Sync.get(router, "k")));
        }
        Await.until(Duration.ofSeconds(30), Duration.ofMillis(1), () -> n + " readers coalesced, " + nearReads.coalesced() + " so far",
                () -> nearReads.coalesced() >= n);
        assertThat(nearReads.coalesced()).isEqualTo(n);
        aux.release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS).value()).isEqualTo("v");
        for (Future<Entry> f : others) {
            assertThat(f.get(30, TimeUnit.SECONDS).value()).isEqualTo("v");
        }
        // the read in flight may predate a write acknowledged before the others arrived: they share
        // the next read instead (a stale read otherwise, see SingleFlight)
        assertThat(aux.reads.get()).as("two aux reads for %d readers", n + 1).isEqualTo(2);
    }

    @Test
    void get_coalescingOff_everyReaderReadsTheAuxNodes() throws Exception {
        start(false, false);
        Sync.put(router, "k", "v", 0);
        List<Future<Entry>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(pool.submit(() -> Sync.get(router, "k")));
        }
        for (Future<Entry> f : all) {
            assertThat(f.get(30, TimeUnit.SECONDS).value()).isEqualTo("v");
        }
        assertThat(aux.reads.get()).isEqualTo(8);
        assertThat(nearReads.coalesced()).isZero();
    }
}
