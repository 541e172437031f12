package dev.dcache.system;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures what a failure and a join cost with many keys: {@code dcache.measure.keys} keys
 * (default 20,000, short enough for CI) bulk-written through nginx 500 a request into 3 aux
 * nodes with RF=2, then aux-2 is SIGKILLed and later aux-4 added. For each event it prints how
 * long the masters took to see it, how long until rebalancing finished (both masters on the new
 * ring, every node's data placed for it), how many records rebalancing sent, and what a reader
 * running throughout saw. Afterwards every key must still read back and sit on its owners.
 *
 * <p>The figures for the report come from a run by hand with 100,000 keys:
 * <pre>
 * bin/test -pl system-tests -am -Dtest=RebalanceMeasurementSystemTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Ddcache.measure.keys=100000 | grep -E '^(METRIC|event)'
 * </pre>
 */
@Tag("measurement")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RebalanceMeasurementSystemTest {
    private static final int KEYS = Integer.getInteger("dcache.measure.keys", 20_000);
    private static final int READERS = 2;
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private final Http http = new Http();

    /** One event's figures. */
    private record Row(String event, ClusterProbe.Reaction reaction, long keysMoved, double expectedMovedFraction,
                       ClientLoad.Report reader) {
    }

    @Test
    void killThenAdd_measuresDetectionRebalancingAndMovedKeys() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(LaunchedCluster.Layout.of(3, 2, 2).withSpareAux(1).killedOnClose());
        ClusterProbe probe = new ClusterProbe(cluster, http);
        probe.awaitReady();
        AckedWrites ledger = new AckedWrites();
        long writeStart = System.nanoTime();
        ClientLoad.bulkWrite(http, cluster.api(), ledger, "m", READERS, KEYS, 500);
        long writeMs = (System.nanoTime() - writeStart) / 1_000_000;

        List<Row> rows = new ArrayList<>();
        rows.add(measure(cluster, probe, ledger, "kill aux-2", v -> "down".equals(v.states().get("aux-2")),
                List.of("aux-1", "aux-2", "aux-3"), List.of("aux-1", "aux-3"), "kill", "aux-2"));
        rows.add(measure(cluster, probe, ledger, "add aux-4", v -> v.ring().contains("aux-4"),
                List.of("aux-1", "aux-3"), List.of("aux-1", "aux-3", "aux-4"), "add-aux"));

        Metric.print("measure", "keys", KEYS);
        Metric.print("measure", "bulk_write_ms", writeMs);
        System.out.printf(Locale.ROOT, "%-11s %8s %11s %14s %11s %8s %10s %13s %13s %12s%n", "event", "keys",
                "detected_ms", "rebalanced_ms", "keys_moved", "moved_%", "expected_%", "reader_reads",
                "reader_failed", "reader_stale");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-11s %8d %11d %14d %11d %8.1f %10.1f %13d %13d %12d%n", r.event(), KEYS,
                    r.reaction().detectedMs(), r.reaction().rebalancedMs(), r.keysMoved(), 100.0 * r.keysMoved() / KEYS,
                    100.0 * r.expectedMovedFraction(), r.reader().reads(), r.reader().requestFailures().size(),
                    r.reader().staleReads().size());
            String scenario = "measure_" + r.event().replace(' ', '_').replace("-", "");
            r.reaction().print(scenario);
            Metric.print(scenario, "keys_moved", r.keysMoved());
            Metric.print(scenario, "reader_reads", r.reader().reads());
            Metric.print(scenario, "reader_failed", r.reader().requestFailures().size());
            Metric.print(scenario, "reader_stale", r.reader().staleReads().size());
        }

        List<String> misplaced = probe.placementViolations(ledger);
        List<String> wrong = ledger.bulkReadBack(http, cluster.api(), 500);
        Metric.print("measure", "placement_violations", misplaced.size());
        Metric.print("measure", "lost_or_wrong_keys", wrong.size());
        assertThat(misplaced.size()).as("records misplaced, first 20: %s", first20(misplaced)).isZero();
        assertThat(wrong.size()).as("keys not reading back their value, first 20: %s", first20(wrong)).isZero();
        for (Row r : rows) {
            assertThat(r.reader().failures()).as("what the reader saw during %s", r.event()).isEmpty();
        }
    }

    private static List<String> first20(List<String> lines) {
        return lines.subList(0, Math.min(20, lines.size()));
    }

    /**
     * Runs {@code bin/cluster command...} while a reader reads the keys, and measures it.
     *
     * @param detected when every master shows this, the event is detected
     */
    private Row measure(LaunchedCluster cluster, ClusterProbe probe, AckedWrites ledger, String name,
                        Predicate<ClusterProbe.MasterView> detected, List<String> ringBefore, List<String> ringAfter,
                        String... command) throws Exception {
        Episode episode = Episode.begin(cluster, probe, new ClientLoad(http, cluster.api(), ledger,
                ClientLoad.Settings.readOnly("m", READERS, KEYS / READERS)));
        long at = episode.event(Duration.ofSeconds(1), command);
        ClusterProbe.Reaction reaction = probe.awaitReaction(name, detected, Set.copyOf(ringAfter), at, LIMIT);
        episode.awaitCommand();
        Thread.sleep(1000); // the reader goes on a little on the settled ring
        ClientLoad.Report report = episode.finish(Duration.ZERO);
        long moved = episode.keysMoved();
        ClusterProbe.MasterView view = probe.view(1);
        int rf = view.replicationFactor();
        HashRing from = new HashRing(ringBefore, view.vnodes(), HashFunction.FNV1A_MIX);
        HashRing to = new HashRing(ringAfter, view.vnodes(), HashFunction.FNV1A_MIX);
        // a record is sent once per owner it gains
        long gained = 0;
        for (String key : ledger.keys()) {
            List<String> old = from.owners(key, rf);
            gained += to.owners(key, rf).stream().filter(o -> !old.contains(o)).count();
        }
        return new Row(name, reaction, moved, (double) gained / KEYS, report);
    }
}
