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
}
