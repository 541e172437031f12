package dev.dcache.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.system.history.History;
import dev.dcache.system.history.LinearizabilityChecker;
import dev.dcache.system.history.Op;
import dev.dcache.system.history.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The consistency contract (docs/consistency.md), checked on histories: concurrent clients
 * ({@link HistoryLoad}) read, write and delete a few shared keys through nginx while one fault is
 * injected into a real {@code bin/cluster}, every operation is recorded with its invocation and
 * completion time, and the whole history must be linearizable per key
 * ({@link LinearizabilityChecker}); on a violation the report shows the smallest offending
 * sub-history. After the fault heals, a final read of every key is part of the history (no
 * acknowledged write may be gone), and every owner of every key must end with the same record
 * (convergence).
 *
 * <p>Each fault alone, each run bounded ({@link #LOAD} of load, by default 12 s;
 * {@code -Ddcache.consistency.seconds=N} for a longer soak). The scenarios share one cluster (each
 * on keys of its own, each waiting until the cluster is whole again before it starts, and undoing
 * its fault even when it fails), except the one that needs short-lived tombstones. Figures are
 * printed as {@code METRIC} lines: operations, acknowledged writes, operations left unknown (5xx,
 * timeouts), reads that were definitely stale, final reads that lost a write, the slowest answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConsistencySystemTest {
    private static final Duration LOAD = Duration.ofSeconds(Long.getLong("dcache.consistency.seconds", 12));
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @RegisterExtension
    final Clusters clusters = new Clusters();
    private final Http http = new Http();
    private LaunchedCluster shared;

    /** A fault at a time after the load started. */
    private record Step(Duration at, String what, Episode.Action action) {
    }

    private static Step at(long millis, String what, Episode.Action action) {
        return new Step(Duration.ofMillis(millis), what, action);
    }

    /** A cluster of its own, for a scenario that needs other settings. */
    private LaunchedCluster cluster(LaunchedCluster.Layout layout) throws Exception {
        return clusters.forTest(layout.killedOnClose()
                .withNodeEnv("AUX_ANTI_ENTROPY_INTERVAL_MS", "2000")); // convergence within the test's patience
    }

    /** The cluster the scenarios share: 3 aux nodes, 2 masters, RF 2. */
    private LaunchedCluster cluster() throws Exception {
        if (shared == null) {
            shared = clusters.forClass(LaunchedCluster.Layout.of(3, 2, 2).killedOnClose()
                    .withNodeEnv("AUX_ANTI_ENTROPY_INTERVAL_MS", "2000"));
        }
        return shared;
    }

    @Test
    void noFault_historyIsLinearizable() throws Exception {
        run("no_fault", cluster(), List.of(), () -> { });
    }

    @Test
    void sequentialWritesAlternatingBetweenMasters_eachReadBackAtOnceThroughTheOther_neverMismatch() throws Exception {
        LaunchedCluster cluster = cluster();
        new ClusterProbe(cluster, http).awaitReady();
        History history = new History();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        int rounds = Integer.getInteger("dcache.consistency.sequential", 3000);
        int mismatches = 0;
        for (int i = 0; i < rounds; i++) {
            String writeTo = cluster.masterUrl(1 + i % 2);
            String readFrom = cluster.masterUrl(1 + (i + 1) % 2);
            String value = "v" + i;
            try (History.WriteCall w = history.write(0, "alternating", value)) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(writeTo + "/data"))
                        .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(Http.toJson(Map.of("key", "alternating", "value", value))))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("write %d: %s", i, r.body()).isEqualTo(200);
                w.ok();
            }
            try (History.ReadCall read = history.read(0, "alternating")) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(readFrom + "/data/alternating"))
                        .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
                String got = r.statusCode() == 200 ? Http.JSON.readTree(r.body()).path("value").asText() : null;
                read.ok(got);
                if (!value.equals(got)) {
                    mismatches++;
                }
            }
        }
        Metric.print("sequential_alternating", "rounds", rounds);
        Metric.print("sequential_alternating", "mismatches", mismatches);
        assertThat(mismatches).as("reads, through the other master, that missed the write just acknowledged").isZero();
        Verdict verdict = LinearizabilityChecker.check(history.ops(), Duration.ofSeconds(20));
        assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
    }

    @Test
    void sigkilledAux_restartedFromItsOldSnapshotFasterThanItIsEjected() throws Exception {
        LaunchedCluster cluster = cluster();
        run("kill_restart_aux", cluster, List.of(
                at(4000, "kill aux-2", () -> cluster.runOk("kill", "aux-2")),
                at(5000, "start aux-2", () -> cluster.runOk("start", "aux-2"))),
                () -> cluster.run("start", "aux-2"));
    }

    @Test
    void pausedAux_longerThanTheRequestTimeout_shorterThanTheFenceWait() throws Exception {
        LaunchedCluster cluster = cluster();
        run("pause_aux_3s", cluster, List.of(
                at(4000, "pause aux-2", () -> cluster.runOk("pause", "aux-2")),
                at(7000, "resume aux-2", () -> cluster.runOk("resume", "aux-2"))),
                () -> cluster.run("resume", "aux-2"));
    }

    @Test
    void pausedAux_longerThanTheFenceWait() throws Exception {
        LaunchedCluster cluster = cluster();
        run("pause_aux_6s", cluster, List.of(
                at(3000, "pause aux-2", () -> cluster.runOk("pause", "aux-2")),
                at(9000, "resume aux-2", () -> cluster.runOk("resume", "aux-2"))),
                () -> cluster.run("resume", "aux-2"));
    }

    @Test
    void auxCutOff_bothDirections_thenHealed() throws Exception {
        cutOff("cut_aux_both", true, true);
    }

    @Test
    void auxCutOff_requestsToItDropped_thenHealed() throws Exception {
        cutOff("cut_aux_requests", true, false);
    }

    @Test
    void auxCutOff_itsAnswersDropped_thenHealed() throws Exception {
        cutOff("cut_aux_answers", false, true);
    }

    private void cutOff(String scenario, boolean requests, boolean answers) throws Exception {
        String unavailable = PortBlock.unavailableBecause();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertThat(unavailable).as("CI must be able to cut a node off (.ci/run installs iptables)").isNull();
        }
        assumeTrue(unavailable == null, () -> "no port block possible here: " + unavailable);
        LaunchedCluster cluster = cluster();
        try (PortBlock block = PortBlock.create()) {
            int[] ports = {cluster.auxPort(2), cluster.auxBinaryPort(2)};
            run(scenario, cluster, List.of(
                    at(3000, "cut aux-2 off", () -> {
                        if (requests) {
                            block.dropRequests(ports);
                        }
                        if (answers) {
                            block.dropAnswers(ports);
                        }
                    }),
                    at(9000, "heal", block::heal)),
                    block::heal);
        }
    }

    @Test
    void sigkilledMaster_withWritesInFlight_thenRestarted() throws Exception {
        LaunchedCluster cluster = cluster();
        run("kill_master", cluster, List.of(
                at(4000, "kill master-1", () -> cluster.runOk("kill", "master-1")),
                at(8000, "start master-1", () -> cluster.runOk("start", "master-1"))),
                () -> cluster.run("start", "master-1"));
    }

    @Test
    void masterClockOneSecondBehind() throws Exception {
        clockOffset("clock_behind", -1000);
    }

    @Test
    void masterClockOneSecondAhead() throws Exception {
        clockOffset("clock_ahead", 1000);
    }

    private void clockOffset(String scenario, long offsetMillis) throws Exception {
        LaunchedCluster cluster = cluster();
        cluster.runOk("stop", "master-2");
        cluster.runOk(command -> {
            List<String> withOffset = new ArrayList<>(List.of("env", "MASTER_CLOCK_OFFSET_MS=" + offsetMillis));
            withOffset.addAll(command);
            return withOffset;
        }, "start", "master-2");
        try {
            run(scenario, cluster, List.of(), () -> { });
        } finally {
            cluster.runOk("stop", "master-2"); // back to a true clock for the scenarios after this one
            cluster.runOk("start", "master-2");
        }
    }

    /**
     * A node away longer than deletes are remembered must not bring deleted keys back: keys are
     * written, aux-2 snapshots them and is killed, the keys are deleted, the tombstones expire
     * (AUX_TOMBSTONE_TTL_SECONDS=6), and aux-2 restarts from its old snapshot, which still holds
     * them. Reads of every key afterwards, part of the checked history, must find them absent.
     */
    @Test
    void auxAwayLongerThanTombstonesLive_restartsFromItsOldSnapshot_withoutBringingDeletedKeysBack() throws Exception {
        LaunchedCluster cluster = cluster(LaunchedCluster.Layout.of(3, 2, 2)
                .withNodeEnv("AUX_TOMBSTONE_TTL_SECONDS", "6")
                .withNodeEnv("AUX_SNAPSHOT_INTERVAL_MS", "500"));
        ClusterProbe probe = new ClusterProbe(cluster, http);
        probe.awaitReady();
        History history = new History();
        HistoryLoad cold = new HistoryLoad(cluster.api(), history, new HistoryLoad.Settings("cold", 0, 0, 0,
                Duration.ZERO));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keys.add("cold-" + i);
        }
        cold.writeAll(1, keys, "before");
        probe.awaitSnapshotCovers(2, System.currentTimeMillis(), Duration.ofSeconds(30)); // aux-2's snapshot holds them
        cluster.runOk("kill", "aux-2");
        cold.deleteAll(1, keys);
        // real time on real processes: the tombstones (AUX_TOMBSTONE_TTL_SECONDS=6) expire on aux-1 and aux-3
        Thread.sleep(9000);
        cluster.runOk("start", "aux-2");
        probe.awaitReady();
        long finalFrom = System.nanoTime();
        cold.readAll(2, keys);
        check("away_past_tombstones", cluster, history, keys, finalFrom,
                new HistoryLoad.Stats(history.ops().size(), 0, 0, 0, List.of()));
    }

    /**
     * Runs the load with {@code steps} at their times, then {@code undo} (also when a step failed:
     * the fault must not outlive its scenario on the shared cluster), waits until the cluster is
     * whole, reads every key once more and checks the history.
     */
    private void run(String scenario, LaunchedCluster cluster, List<Step> steps, Episode.Action undo) throws Exception {
        ClusterProbe probe = new ClusterProbe(cluster, http);
        probe.awaitReady();
        History history = new History();
        HistoryLoad load = new HistoryLoad(cluster.api(), history, HistoryLoad.Settings.standard(scenario));
        long start = System.nanoTime();
        load.start();
        HistoryLoad.Stats stats;
        try {
            for (Step step : steps) {
                sleepUntil(start, step.at());
                System.out.printf("%s: t+%d ms %s%n", scenario, (System.nanoTime() - start) / 1_000_000, step.what());
                step.action().run();
            }
            sleepUntil(start, LOAD);
        } finally {
            stats = load.stop();
            undo.run();
        }
        probe.awaitReady(); // the fault healed: every node back on the ring, placed and serving
        long finalFrom = System.nanoTime();
        load.finalReads(1000);
        check(scenario, cluster, history, load.keys(), finalFrom, stats);
    }

    private void check(String scenario, LaunchedCluster cluster, History history, List<String> keys, long finalFrom,
                       HistoryLoad.Stats stats) throws Exception {
        List<Op> ops = history.ops();
        long converge = awaitConverged(cluster, keys);
        Verdict verdict = LinearizabilityChecker.check(ops, Duration.ofSeconds(20));
        Metric.print(scenario, "operations", ops.size());
        Metric.print(scenario, "acknowledged_writes", ops.stream()
                .filter(o -> o.kind() != Op.Kind.READ && o.outcome() == Op.Outcome.OK).count());
        Metric.print(scenario, "unknown_outcome", ops.stream().filter(o -> o.outcome() == Op.Outcome.UNKNOWN).count());
        Metric.print(scenario, "stale_reads", HistoryLoad.definitelyStale(ops, Long.MIN_VALUE));
        Metric.print(scenario, "lost_writes", HistoryLoad.definitelyStale(ops, finalFrom));
        Metric.print(scenario, "max_latency_ms", stats.maxLatencyMillis());
        Metric.print(scenario, "converged_after_ms", converge);
        Metric.print(scenario, "keys_not_linearizable", verdict.keysWith(Verdict.Result.NOT_LINEARIZABLE).size());
        Metric.print(scenario, "keys_undecided", verdict.keysWith(Verdict.Result.UNDECIDED).size());
        assertThat(stats.bugs()).as("client mistakes answered 4xx").isEmpty();
        assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
        assertThat(converge).as("every owner of every key holds the same record").isNotNegative();
    }

    /**
     * Waits (bounded) until every owner of every key, on the ring master-1 routes by, holds the
     * same record (version and value, tombstones included).
     *
     * @return milliseconds waited, -1 when it did not happen within {@link #LIMIT}
     */
    private long awaitConverged(LaunchedCluster cluster, List<String> keys) {
        ClusterProbe probe = new ClusterProbe(cluster, http);
        long start = System.nanoTime();
        String[] last = {""};
        boolean converged = Await.within(LIMIT, Duration.ofMillis(500), () -> {
            ClusterProbe.MasterView view = Http.unchecked(() -> probe.view(1));
            HashRing ring = new HashRing(view.ring(), view.vnodes(), HashFunction.FNV1A_MIX);
            Map<String, Map<String, JsonNode>> dumps = Http.unchecked(() -> probe.dumps(view.ring()));
            List<String> diverging = new ArrayList<>();
            for (String key : keys) {
                List<String> owners = ring.owners(key, view.replicationFactor());
                JsonNode first = dumps.get(owners.get(0)).get(key);
                for (String o : owners) {
                    if (!Objects.equals(record(first), record(dumps.get(o).get(key)))) {
                        diverging.add(key + " " + owners.get(0) + "=" + record(first) + " " + o + "="
                                + record(dumps.get(o).get(key)));
                    }
                }
            }
            last[0] = diverging.toString();
            return diverging.isEmpty();
        });
        if (converged) {
            return (System.nanoTime() - start) / 1_000_000;
        }
        System.out.println("owners still disagree: " + last[0]);
        return -1;
    }

    private static String record(JsonNode n) {
        return n == null ? "none" : n.path("version").asLong() + ":" + n.path("value").asText(null);
    }

    private static void sleepUntil(long start, Duration at) throws InterruptedException {
        long wait = start + at.toNanos() - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // the scenario's timeline: the next step is due at its time into the load
        }
    }
}
