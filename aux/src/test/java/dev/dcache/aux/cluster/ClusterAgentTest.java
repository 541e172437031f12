package dev.dcache.aux.cluster;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.recovery.Readiness;
import dev.dcache.common.client.HttpAuxClient;
import dev.dcache.common.http.Json;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What an aux node tells masters about each other: which of them keep a near cache, and where. */
class ClusterAgentTest {
    private final FakeClock clock = new FakeClock();
    private final HttpAuxClient peers = new HttpAuxClient(Json.mapper(1 << 20), Duration.ofSeconds(1),
            Duration.ofSeconds(1), null);
    private final ClusterAgent agent = new ClusterAgent("aux-1", 0,
            new LruCache(1000, 1 << 20, 1, 60_000, clock), new Readiness(clock::nanos, clock, Duration.ofMinutes(5)),
            peers, clock, null);

    @AfterEach
    void tearDown() {
        agent.close();
        peers.close();
    }

    private static Heartbeat heartbeat(String master, int port, boolean nearCache) {
        return new Heartbeat(master, 1000, null, List.of(), port, null, nearCache);
    }

    @Test
    void repliesList_recentMastersWithANearCache_atTheAddressTheirHeartbeatCameFrom() {
        agent.onHeartbeat(heartbeat("m-1", 8001, true), "10.0.0.1");
        agent.onHeartbeat(heartbeat("m-2", 8002, false), "10.0.0.2");
        HeartbeatReply reply = agent.onHeartbeat(heartbeat("m-3", 8003, true), "10.0.0.3");

        assertThat(reply.nearCacheMasters()).containsExactlyInAnyOrder(
                new NodeAddress("m-1", "10.0.0.1", 8001), new NodeAddress("m-3", "10.0.0.3", 8003));
    }

    @Test
    void aMasterThatTurnsItsNearCacheOff_orGoesQuietForThreeIntervals_isNoLongerListed() {
        agent.onHeartbeat(heartbeat("m-1", 8001, true), "10.0.0.1");
        agent.onHeartbeat(heartbeat("m-2", 8002, true), "10.0.0.2");

        HeartbeatReply off = agent.onHeartbeat(heartbeat("m-2", 8002, false), "10.0.0.2");
        assertThat(off.nearCacheMasters()).extracting(NodeAddress::id).containsExactly("m-1");

        clock.advance(Duration.ofMillis(3001));
        HeartbeatReply later = agent.onHeartbeat(heartbeat("m-2", 8002, false), "10.0.0.2");
        assertThat(later.nearCacheMasters()).as("m-1 silent for over 3 x 1000 ms").isEmpty();
    }

    @Test
    void aMasterWithoutAnAdvertisedPort_cannotBeReached_andIsNotListed() {
        HeartbeatReply reply = agent.onHeartbeat(heartbeat("m-1", 0, true), "10.0.0.1");
        assertThat(reply.nearCacheMasters()).isEmpty();
    }

    /**
     * The whole cluster stops, masters first (bin/cluster down, compose down): a node that began to
     * drain while a master was still heard must not drop what its peers took, since they are
     * stopping too (all draining at once, each would drop what the others took: empty snapshots).
     */
    @Test
    void drain_mastersGoQuietMeanwhile_keepsEveryRecordForTheSnapshot() throws Exception {
        try (Draining d = new Draining()) {
            java.util.concurrent.CompletableFuture<Boolean> drained = d.drain(Duration.ofSeconds(20));
            // the first, keeping hand-off reached the peer (bounded: the assertion below says if not)
            d.firstBatch.await(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(d.batches.get()).as("records copied to the peer").isPositive();
            clock.advance(Duration.ofSeconds(3)); // the masters stopped: none heard for 3 intervals

            assertThat(drained.get(10, java.util.concurrent.TimeUnit.SECONDS)).isFalse();
            assertThat(d.cache.size()).as("records kept for the snapshot").isEqualTo(50);
        }
    }

    /**
     * The masters keep routing to the node: it waits for them only until its deadline, read from
     * the injected clock, then hands off for good. Real time barely moves, so a deadline kept by
     * {@code System.nanoTime} would make this wait the whole 20 s.
     */
    @Test
    void drain_ringStillHoldsTheNode_handsOffOnceTheInjectedClockPassesTheDeadline() throws Exception {
        try (Draining d = new Draining()) {
            java.util.concurrent.CompletableFuture<Boolean> drained = d.drain(Duration.ofSeconds(20));
            d.firstBatch.await(10, java.util.concurrent.TimeUnit.SECONDS);
            // a second of fake time per poll, the master still heard and still routing with this node,
            // until the drain ends: its deadline is 20 s of fake time after it read the clock, which
            // may be after some of these advances (the drain runs on another thread)
            dev.dcache.common.concurrent.Await.until(Duration.ofSeconds(20), Duration.ofMillis(20),
                    () -> "drain still waiting at fake time " + clock.millis(), () -> {
                        clock.advance(Duration.ofSeconds(1));
                        d.heartbeat();
                        return drained.isDone();
                    });

            assertThat(drained.get(5, java.util.concurrent.TimeUnit.SECONDS)).as("hand-off complete").isTrue();
        }
    }

    /** An aux node holding 50 records on a ring with one peer, an HTTP server that takes every batch. */
    private final class Draining implements AutoCloseable {
        final java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.CountDownLatch firstBatch = new java.util.concurrent.CountDownLatch(1);
        final LruCache cache = new LruCache(1000, 1 << 20, 1, 60_000, clock);
        private final com.sun.net.httpserver.HttpServer peer;
        private final ClusterAgent node;
        private final dev.dcache.common.wire.RingSpec ring;

        Draining() throws java.io.IOException {
            peer = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            peer.createContext(dev.dcache.common.wire.InternalPaths.BATCH_PUT, exchange -> {
                exchange.getRequestBody().readAllBytes();
                batches.incrementAndGet();
                firstBatch.countDown();
                byte[] answer = "{\"applied\":0,\"stale\":0,\"superseded\":[]}".getBytes();
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            peer.start();
            node = new ClusterAgent("aux-1", 0, cache, new Readiness(clock::nanos, clock, Duration.ofMinutes(5)),
                    peers, clock, null);
            for (int i = 0; i < 50; i++) {
                cache.put(new dev.dcache.common.wire.Entry("k" + i, "v", i + 1, 0));
            }
            List<NodeAddress> nodes = List.of(new NodeAddress("aux-1", "127.0.0.1", 1),
                    new NodeAddress("aux-2", "127.0.0.1", peer.getAddress().getPort()));
            ring = new dev.dcache.common.wire.RingSpec(nodes, 2, 16,
                    new dev.dcache.common.ring.HashRing(List.of("aux-1", "aux-2"), 16,
                            dev.dcache.common.hash.HashFunction.FNV1A_MIX).fingerprint());
            heartbeat();
        }

        void heartbeat() {
            node.onHeartbeat(new Heartbeat("m-1", 1000, ring, List.of(), 8001, null, false), "127.0.0.1");
        }

        java.util.concurrent.CompletableFuture<Boolean> drain(Duration max) {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> node.drain(max));
        }

        @Override
        public void close() {
            node.close();
            peer.stop(0);
        }
    }
}
