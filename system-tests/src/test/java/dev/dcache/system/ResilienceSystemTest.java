package dev.dcache.system;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Aux nodes failing, returning, joining and leaving while clients use the cluster through nginx:
 * real processes launched with {@code bin/cluster}, one cluster per scenario (the restart
 * continues the kill's cluster). Clients ({@link ClientLoad}) write, delete and read their own
 * keys and record every acknowledged write; after each event the test waits (bounded) until
 * both masters agree on the new ring and every aux node reports its data placed for it, then
 * checks, in this order:
 * <ol>
 *   <li>placement, from every aux node's {@code /internal/dump}: each owner of a live key holds
 *   its last acknowledged value and no other node holds a live copy;</li>
 *   <li>every key through the public API: the last acknowledged value, deleted keys absent;</li>
 *   <li>no client request failed and no read returned anything but the last acknowledged value.</li>
 * </ol>
 * Placement is checked first because reads repair: a read that finds a key missing on its
 * primary writes it back there, which would hide a node that rebalancing failed to fill. For
 * the same reason each scenario also bulk-writes "cold" keys that the clients never read: only
 * rebalancing can put those where they belong.
 *
 * <p>The partition scenario runs only when asked ({@code -Ddcache.partition=true}): it needs
 * root, nftables and cgroup2, and fails as long as the masters can route by different rings
 * without the aux nodes ever reconciling what was written meanwhile (reported as a bug).
 *
 * <p>Every figure is printed as a {@code METRIC} line ({@link Metric}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ResilienceSystemTest {
    /** Bound on every wait for the cluster: generous, the machine is shared with builds. */
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final int COLD_KEYS = 2000;

    @RegisterExtension
    final Clusters clusters = new Clusters();
    private final Http http = new Http();

    /** Shared by the kill and the restart scenario, in that order. */
    private LaunchedCluster killCluster;
    private final AckedWrites killLedger = new AckedWrites();
    private boolean aux2Killed;

    @Test
    @Order(1)
    void sigkilledAux_underLoad_losesNoAcknowledgedWrite_andNoRequestFails() throws Exception {
        String scenario = "kill_aux";
        killCluster = readyWithColdKeys(clusters.forClass(LaunchedCluster.Layout.of(3, 2, 2).killedOnClose()), killLedger);
        ClusterProbe probe = new ClusterProbe(killCluster, http);

        Episode episode = Episode.begin(killCluster, probe, mixedLoad(killCluster, killLedger));
        long killedAt = episode.event(Duration.ofSeconds(7), "kill", "aux-2"); // SIGKILL within ~0.1 s of this
        aux2Killed = true;
        probe.awaitReaction("aux-2 is down", v -> "down".equals(v.states().get("aux-2")), Set.of("aux-1", "aux-3"),
                killedAt, LIMIT).print(scenario);
        episode.finish(Duration.ofSeconds(20));

        assertNothingLost(scenario, killCluster, killLedger, episode, Reads.STRICT);
    }

    @Test
    @Order(2)
    void restartedAux_isRefilledByRebalancing_andEveryNodeHoldsExactlyItsKeys() throws Exception {
        assumeTrue(aux2Killed, "continues the cluster of the kill scenario, which did not run");
        String scenario = "restart_aux";
        ClusterProbe probe = new ClusterProbe(killCluster, http);

        Episode episode = Episode.begin(killCluster, probe, mixedLoad(killCluster, killLedger));
        long startedAt = episode.event(Duration.ofSeconds(3), "start", "aux-2");
        Metric.print(scenario, "start_command_ms", episode.awaitCommand()); // it returns once aux-2 answers /health
        // Without snapshots (not in this branch) aux-2 comes back empty and everything it owns
        // must reach it again by rebalancing; with them it comes back with older data, which
        // versions make harmless. The checks below hold either way.
        Metric.print(scenario, "records_on_restarted_aux", probe.dump("aux-2").size());
        probe.awaitReaction("aux-2 is up", v -> "up".equals(v.states().get("aux-2")),
                Set.of("aux-1", "aux-2", "aux-3"), startedAt, LIMIT).print(scenario);
        episode.finish(Duration.ofSeconds(12));

        assertNothingLost(scenario, killCluster, killLedger, episode, Reads.STRICT);
    }

    @Test
    @Order(3)
    void auxAddedUnderLoad_takesAboutHalfTheKeys_andNothingIsLost() throws Exception {
        String scenario = "add_aux";
        AckedWrites ledger = new AckedWrites();
        LaunchedCluster cluster = readyWithColdKeys(
                clusters.forTest(LaunchedCluster.Layout.of(3, 2, 2).withSpareAux(1).killedOnClose()), ledger);
        ClusterProbe probe = new ClusterProbe(cluster, http);

        Episode episode = Episode.begin(cluster, probe, mixedLoad(cluster, ledger));
        long addedAt = episode.event(Duration.ofSeconds(4), "add-aux");
        Set<String> four = Set.of("aux-1", "aux-2", "aux-3", "aux-4");
        probe.awaitReaction("aux-4 is on the ring", v -> v.ringIs(four), four, addedAt, LIMIT).print(scenario);
        episode.finish(Duration.ofSeconds(15));

        long moved = episode.keysMoved();
        long changed = ownerSetsChanged(ledger.keys(), List.of("aux-1", "aux-2", "aux-3"), List.copyOf(four),
                probe.view(1));
        double changedFraction = (double) changed / ledger.size();
        Metric.print(scenario, "moved_fraction", (double) moved / ledger.size());
        Metric.print(scenario, "owner_set_changed_fraction", changedFraction);
        // RF=2 over 3 -> 4 nodes: a key gains aux-4 as an owner with probability ~ 1 - (3/4)(2/3) = 1/2
        assertThat(changedFraction).as("share of keys whose owners changed").isBetween(0.3, 0.7);
        assertThat(moved).as("records sent by rebalancing: about one per key whose owners changed, never all")
                .isPositive().isLessThan(Math.round(ledger.size() * 0.75));
        assertNothingLost(scenario, cluster, ledger, episode, Reads.STRICT);
    }

    @Test
    @Order(4)
    void gracefullyStoppedAux_withRf1_handsOverEveryKey() throws Exception {
        String scenario = "stop_aux_rf1";
        AckedWrites ledger = new AckedWrites();
        LaunchedCluster cluster = readyWithColdKeys(
                clusters.forTest(LaunchedCluster.Layout.of(3, 2, 1).killedOnClose()), ledger);
        ClusterProbe probe = new ClusterProbe(cluster, http);

        Episode episode = Episode.begin(cluster, probe, mixedLoad(cluster, ledger));
        long stoppedAt = episode.event(Duration.ofSeconds(3), "stop", "aux-2"); // SIGTERM: drains, then exits
        probe.awaitReaction("aux-2 is down", v -> "down".equals(v.states().get("aux-2")), Set.of("aux-1", "aux-3"),
                stoppedAt, LIMIT).print(scenario);
        Metric.print(scenario, "stop_command_ms", episode.awaitCommand());
        episode.finish(Duration.ofSeconds(10));

        assertNothingLost(scenario, cluster, ledger, episode, Reads.STALE_DURING_HAND_OFF_REPORTED);
    }

    /**
     * master-1 cannot reach aux-2 while master-2 and the clients can: master-1 ejects aux-2,
     * master-2 keeps it, so the masters route by different rings and the aux nodes, which act
     * only on a ring all masters agree on, move nothing. Then the partition heals. Asked for with
     * {@code -Ddcache.partition=true}: it needs root, {@code nft} and cgroup2 (see
     * {@link LoopbackPartition}), and adds a firewall table of its own while it runs.
     */
    @Test
    @Order(5)
    void partitionBetweenOneMasterAndOneAux_thenHealed_losesNoAcknowledgedWrite() throws Exception {
        assumeTrue(Boolean.getBoolean("dcache.partition"), "asked for with -Ddcache.partition=true");
        String unavailable = LoopbackPartition.unavailableBecause();
        assumeTrue(unavailable == null, () -> "no partition possible here: " + unavailable);
        String scenario = "partition";
        AckedWrites ledger = new AckedWrites();
        LaunchedCluster cluster = clusters.forTest(LaunchedCluster.Layout.of(3, 2, 2).killedOnClose());
        ClusterProbe probe = new ClusterProbe(cluster, http);
        try (LoopbackPartition partition = LoopbackPartition.create()) {
            // master-1 again, inside the partition's cgroup, so that every socket it opens can be cut
            cluster.runOk("stop", "master-1");
            cluster.runOk(partition::wrap, "start", "master-1");
            readyWithColdKeys(cluster, ledger);

            Episode episode = Episode.begin(cluster, probe, mixedLoad(cluster, ledger));
            long cutAt = episode.event(Duration.ofSeconds(4), () -> partition.cut(cluster.auxPort(2), cluster.auxBinaryPort(2)));
            Metric.print(scenario, "split_ms", probe.awaitViews("master-1 has ejected aux-2, master-2 has not",
                    v -> "down".equals(v.get(0).states().get("aux-2")) && "up".equals(v.get(1).states().get("aux-2")),
                    cutAt, LIMIT));
            long healAt = episode.event(Duration.ofSeconds(12), partition::heal);
            probe.awaitReaction("both masters have aux-2 up", v -> "up".equals(v.states().get("aux-2")),
                    Set.of("aux-1", "aux-2", "aux-3"), healAt, LIMIT).print(scenario);
            episode.finish(Duration.ofSeconds(20));
            assertNothingLost(scenario, cluster, ledger, episode, Reads.STRICT);
        }
    }

    // ---------------------------------------------------------------------------------------

    /** What the clients' reads must have seen. */
    private enum Reads {
        /** Every read returned the last acknowledged value. */
        STRICT,
        /**
         * Reads that returned an older value (or nothing) are printed as {@code client_stale_reads}
         * but not failed on: with RF=1 a draining node hands its records over before the masters
         * stop routing to it, so a write it takes in between reaches the new owner only with the
         * second hand-off, and reads meanwhile see the older copy. Reported as a bug; no request
         * may fail and no key may be lost either way.
         */
        STALE_DURING_HAND_OFF_REPORTED
    }

    /**
     * Checks placement, then every key through nginx, then the clients' failures (see the class
     * comment for why in that order); prints the figures and reports every violation found, not
     * only the first.
     */
    private void assertNothingLost(String scenario, LaunchedCluster cluster, AckedWrites ledger, Episode episode,
                                   Reads reads) throws Exception {
        ClientLoad.Report report = episode.report();
        List<String> misplaced = new ClusterProbe(cluster, http).placementViolations(ledger);
        List<String> wrong = ledger.readBack(http, cluster.api());
        Metric.print(scenario, "keys", ledger.size());
        Metric.print(scenario, "keys_deleted", ledger.deletedCount());
        Metric.print(scenario, "keys_unsure", ledger.unsureCount());
        Metric.print(scenario, "placement_violations", misplaced.size());
        Metric.print(scenario, "lost_or_wrong_keys", wrong.size());
        Metric.print(scenario, "keys_moved", episode.keysMoved());
        Metric.printLoad(scenario, report, episode.eventNanos());

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(misplaced.size()).as("records misplaced after rebalancing, first 20: %s", head(misplaced))
                .isZero();
        soft.assertThat(wrong.size()).as("keys not holding their last acknowledged value through nginx, first 20: %s",
                head(wrong)).isZero();
        soft.assertThat(report.requestFailures().size()).as("client requests that failed, first 20: %s",
                head(report.requestFailures())).isZero();
        if (reads == Reads.STRICT) {
            soft.assertThat(report.staleReads().size()).as("reads that missed the last acknowledged value, first 20: %s",
                    head(report.staleReads())).isZero();
        }
        soft.assertAll();
    }

    private static <T> List<T> head(List<T> items) {
        return items.subList(0, Math.min(20, items.size()));
    }

    /** How many of {@code keys} have a different owner set on ring {@code after} than on {@code before}. */
    private static long ownerSetsChanged(List<String> keys, List<String> before, List<String> after,
                                         ClusterProbe.MasterView view) {
        HashRing from = new HashRing(before, view.vnodes(), HashFunction.FNV1A_MIX);
        HashRing to = new HashRing(after, view.vnodes(), HashFunction.FNV1A_MIX);
        int rf = view.replicationFactor();
        return keys.stream().filter(k -> !Set.copyOf(from.owners(k, rf)).equals(Set.copyOf(to.owners(k, rf)))).count();
    }

    /** Waits until the cluster is ready, then bulk-writes the cold keys. */
    private LaunchedCluster readyWithColdKeys(LaunchedCluster cluster, AckedWrites ledger) throws Exception {
        new ClusterProbe(cluster, http).awaitReady();
        ClientLoad.bulkWrite(http, cluster.api(), ledger, "cold", 1, COLD_KEYS, 500);
        return cluster;
    }

    private ClientLoad mixedLoad(LaunchedCluster cluster, AckedWrites ledger) {
        return new ClientLoad(http, cluster.api(), ledger, ClientLoad.Settings.mixed("hot"));
    }
}
