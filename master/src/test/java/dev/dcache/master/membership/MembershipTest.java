package dev.dcache.master.membership;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.MemberChange;
import dev.dcache.common.time.FakeClock;
import dev.dcache.master.FakeAuxClient;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.ring.NodeState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MembershipTest {
    private static final Duration INTERVAL = Duration.ofMillis(1000);
    private final FakeAuxClient aux = new FakeAuxClient();
    private final FakeClock clock = new FakeClock();
    private final Fences fences = new Fences(clock::nanos, Fences.fenceAfter(INTERVAL), INTERVAL.multipliedBy(6));
    private Membership membership;

    @BeforeEach
    void setUp() {
        List<NodeAddress> nodes = List.of(new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2),
                new NodeAddress("c", "h", 3));
        membership = new Membership(new Membership.Settings("m-1", 64, 2, INTERVAL.toMillis(), 3, 2, null), nodes, aux,
                fences);
    }

    /** One heartbeat round, one interval after the last. */
    private void round() {
        clock.advance(INTERVAL);
        membership.heartbeatAll();
    }

    @AfterEach
    void tearDown() {
        membership.close();
    }

    private NodeState state(String id) {
        return membership.view().states().get(id);
    }

    @Test
    void warmUp_nodesThatAnswer_areUp_othersStayDown() {
        aux.down.add("c");
        membership.warmUp();
        assertThat(membership.view().ring().nodes()).containsExactly("a", "b");
        assertThat(state("c")).isEqualTo(NodeState.DOWN);
    }

    @Test
    void warmUp_withANodeDown_sendsNoRing_untilItsDeadlineOnTheInjectedClock() {
        aux.down.add("c");
        membership.warmUp();
        assertThat(aux.heartbeats.get("a").ring()).isNull(); // not every member is up: no ring yet

        // the deadline is 3 x failureThreshold (3) intervals after the warm-up began
        for (int i = 0; i < 8; i++) {
            round();
        }
        assertThat(aux.heartbeats.get("a").ring()).isNull();
        round();
        round();
        assertThat(aux.heartbeats.get("a").ring()).isNotNull();
        assertThat(aux.heartbeats.get("a").ring().nodes()).extracting(NodeAddress::id).containsExactly("a", "b");
    }

    @Test
    void heartbeats_ejectAfterTheFailureThresholdAndTheFenceWait_andReadmitAfterTheSuccessThreshold() {
        membership.warmUp();
        aux.down.add("b");
        round();
        round();
        assertThat(state("b")).isEqualTo(NodeState.UP);
        round();
        assertThat(state("b")).as("three failures, but only 3 s without contact: b may still serve reads")
                .isEqualTo(NodeState.UP);
        round();
        assertThat(state("b")).as("3.25 s without contact: b refuses reads by itself, it may leave the ring")
                .isEqualTo(NodeState.DOWN);
        assertThat(membership.readings().ejections()).isEqualTo(1);
        assertThat(fences.flag("b")).as("this master writes without b now, and tells it").isTrue();

        aux.down.remove("b");
        round();
        assertThat(state("b")).as("one good heartbeat is not enough").isEqualTo(NodeState.DOWN);
        assertThat(aux.heartbeats.get("b").fenced()).isTrue();
        round();
        assertThat(state("b")).isEqualTo(NodeState.UP);
        assertThat(membership.readings().readmissions()).isEqualTo(1);
        assertThat(fences.flag("b")).as("writes routed without b may still be running").isTrue();
        clock.advance(INTERVAL.multipliedBy(6));
        assertThat(fences.flag("b")).as("a write deadline later, none is").isFalse();
    }

    @Test
    void nearCachePeers_areTheMastersTheNodesList_otherThanThisOne_andTheHeartbeatSaysIfThisOneListens() {
        membership.warmUp();
        membership.heartbeatAll();
        assertThat(aux.heartbeats.get("a").nearCache()).as("not advertised yet").isFalse();
        assertThat(membership.nearCachePeers()).isEmpty();

        membership.advertiseNearCache(true);
        NodeAddress self = new NodeAddress("m-1", "10.0.0.1", 8001);
        NodeAddress peer = new NodeAddress("m-2", "10.0.0.2", 8002);
        aux.nearCacheMasters = List.of(self, peer);
        membership.heartbeatAll();
        assertThat(aux.heartbeats.get("a").nearCache()).isTrue();
        assertThat(membership.nearCachePeers()).containsExactly(peer);

        aux.down.addAll(List.of("a", "b", "c"));
        membership.heartbeatAll();
        assertThat(membership.nearCachePeers()).as("no node answered: keep what was known").containsExactly(peer);

        aux.down.clear();
        aux.nearCacheMasters = List.of(self);
        membership.heartbeatAll();
        assertThat(membership.nearCachePeers()).as("the peer went quiet and the nodes dropped it").isEmpty();
    }

    @Test
    void flappingNode_neverGetsTwoGoodHeartbeatsInARow_staysDown() {
        membership.warmUp();
        aux.down.add("b");
        for (int i = 0; i < 4; i++) {
            round();
        }
        assertThat(state("b")).isEqualTo(NodeState.DOWN);
        for (int i = 0; i < 10; i++) {
            if (i % 2 == 0) {
                aux.down.remove("b");
            } else {
                aux.down.add("b");
            }
            round();
            assertThat(state("b")).isEqualTo(NodeState.DOWN);
        }
    }

    @Test
    void drainingNode_isEjectedAtOnce() {
        membership.warmUp();
        aux.draining.add("a");
        membership.heartbeatAll();
        assertThat(state("a")).isEqualTo(NodeState.DOWN);
    }

    @Test
    void burstOfFailedCalls_countsOnce_andMakesTheNodeSuspectUntilAHeartbeatSucceeds() {
        membership.warmUp();
        for (int i = 0; i < 50; i++) {
            membership.reportCallFailure("b", AuxCallException.Kind.IO);
        }
        assertThat(state("b")).isEqualTo(NodeState.UP);
        assertThat(membership.isSuspect("b")).isTrue();
        membership.heartbeatAll();
        assertThat(membership.isSuspect("b")).isFalse();
    }

    @Test
    void sameFacts_inAnyOrder_giveTheSameFingerprint() {
        Membership other = new Membership(new Membership.Settings("m-2", 64, 2, 1000, 3, 2, null),
                List.of(new NodeAddress("c", "h", 3), new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2)), aux);
        try {
            membership.warmUp();
            other.warmUp();
            assertThat(other.view().ring().fingerprint()).isEqualTo(membership.view().ring().fingerprint());
        } finally {
            other.close();
        }
    }

    @Test
    void operatorDecisions_addAndRemove_highestVersionWins() {
        membership.warmUp();
        membership.decide(new MemberChange("d", "h:4", true, 10));
        assertThat(membership.view().members()).containsKey("d");
        assertThat(state("d")).as("a new node must prove itself").isEqualTo(NodeState.DOWN);
        membership.heartbeatAll();
        membership.heartbeatAll();
        assertThat(membership.view().ring().nodes()).contains("d");

        membership.decide(new MemberChange("d", "h:4", false, 9)); // older: ignored
        assertThat(membership.view().members()).containsKey("d");
        membership.decide(new MemberChange("a", "h:1", false, 11));
        assertThat(membership.view().members()).doesNotContainKey("a");
        assertThat(membership.view().ring().nodes()).containsExactly("b", "c", "d");
    }

    @Test
    void removedNode_keepsGettingHeartbeats_untilItHandsOver() {
        membership.warmUp();
        membership.decide(new MemberChange("a", "h:1", false, 5));
        aux.calls.clear();
        membership.heartbeatAll();
        assertThat(aux.calls).contains("a"); // departed, still told the ring so it hands its records over
    }

    @Test
    void withAToken_aNodeThatCannotProveIt_isNeverAdmitted() {
        Membership guarded = new Membership(new Membership.Settings("m-3", 64, 2, 1000, 3, 2, "secret"),
                List.of(new NodeAddress("a", "h", 1), new NodeAddress("b", "h", 2)), aux);
        try {
            aux.token = "wrong";
            guarded.warmUp();
            assertThat(guarded.view().ring().nodes()).isEmpty();
            aux.token = "secret";
            guarded.warmUp();
            assertThat(guarded.view().ring().nodes()).containsExactly("a", "b");
        } finally {
            guarded.close();
        }
    }

    @Test
    void aNewRing_isRoutedAlone_onlyTwoIntervalsAfterItWasSeenSettled() {
        membership.warmUp();
        membership.heartbeatAll();
        ClusterView first = membership.view();
        assertThat(membership.routesAlone(first)).as("the first ring: no other to route by").isTrue();

        aux.down.add("c");
        ClusterView ejected = null;
        for (int i = 0; i < 10 && ejected == null; i++) {
            round();
            if (!membership.view().ring().nodes().contains("c")) {
                ejected = membership.view();
            }
        }
        assertThat(ejected).as("c left the ring").isNotNull();
        round(); // the nodes hear the new ring and report their data placed for it at once (FakeAuxClient)
        assertThat(membership.settled(ejected)).isTrue();
        assertThat(membership.routesAlone(ejected)).as("settled, but just now").isFalse();
        assertThat(membership.lastSettled().ring().fingerprint()).isEqualTo(first.ring().fingerprint());
        round();
        assertThat(membership.routesAlone(ejected)).as("settled for one interval").isFalse();
        round();
        assertThat(membership.routesAlone(ejected)).as("settled for two intervals").isTrue();
        assertThat(membership.lastSettled().ring().fingerprint()).isEqualTo(ejected.ring().fingerprint());
    }
}
