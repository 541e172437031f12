package dev.dcache.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bursts that no node can hold at once, sent straight to master-1 (and to aux-1) of a cluster
 * launched with the defaults of {@code bin/cluster} (master heap 256 MiB, aux heap 256 MiB with a
 * 128 MiB cache budget): every request must get 200, 404 (a read of an evicted key), 413 or 503,
 * never a 500 or a broken connection; no node may log an {@code OutOfMemoryError}; and the master
 * must serve normally right after (20 writes and reads through it all succeed, the median pair in
 * under 200 ms, none over 2 s while the aux nodes finish what the burst queued).
 *
 * <ul>
 *   <li>{@link #issueBurst_oneMaster_onlyOkTooLargeOrBusy}: issue 19's burst, 32 clients each sending
 *   three bulk writes of 15 values of 1 MB.</li>
 *   <li>{@link #harshBurst_mixedLargeAndSlow_onlyOkTooLargeOrBusy}: at once, 64 clients sending 16 MB
 *   bulk writes twice, 8 slow senders (15 MB at 2 MB/s), 8 bodies over the 16 MiB limit, 1 MB
 *   single writes and reads, bulk reads answering 16 MB each, and 16 MB internal batches straight
 *   to an aux node.</li>
 * </ul>
 * Figures are {@code METRIC} lines; {@code -Ddcache.overload.masterOpts=...} and
 * {@code -Ddcache.overload.auxOpts=...} (with {@code -Ddcache.overload.auxMaxBytes=...}) run the same
 * bursts at other heap sizes, e.g. those the container limits give:
 * <pre>
 * bin/test -pl system-tests -am -Dtest=OverloadSystemTest -Dsurefire.failIfNoSpecifiedTests=false | grep ^METRIC
 * </pre>
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class OverloadSystemTest {
    private static final int MB = 1_000_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private final Http http = new Http();

    /** Outcomes of a burst by kind of request and outcome ("bulk 200", "slow broken"). */
    /** What a master's 504 says when a write's outcome is unknown ({@code ApiException.outcomeUnknown}). */
    private static final String OUTCOME_UNKNOWN = "may or may not have taken effect";

    private static final class Tally {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> odd = new ConcurrentLinkedQueue<>();
        private final LongAdder outcomeUnknown = new LongAdder();
        /** The 504s by kind and message: which wait gave up, for the log. */
        private final Map<String, LongAdder> unknownWhy = new ConcurrentHashMap<>();

        void add(String kind, RawHttp.Result r) {
            if (r.outcome().equals("504") && r.detail().contains(OUTCOME_UNKNOWN)) {
                // the master's own answer for a write whose owner did not answer in time (an aux node
                // starved of CPU by the burst): it may have applied it, so "503, not applied" would be
                // a lie (docs/consistency.md); counted apart, not a crash and not a proxy's timeout
                outcomeUnknown.increment();
                counts.computeIfAbsent(kind + " 504-outcome-unknown", k -> new LongAdder()).increment();
                unknownWhy.computeIfAbsent(kind + ": " + r.detail(), k -> new LongAdder()).increment();
                return;
            }
            counts.computeIfAbsent(kind + " " + r.outcome(), k -> new LongAdder()).increment();
            if (!r.isStatus() || r.outcome().startsWith("5") && !r.outcome().equals("503")) {
                odd.add(kind + " " + r.outcome() + " after " + r.millis() + " ms: " + r.detail());
            }
        }

        Map<String, Long> byOutcome() {
            Map<String, Long> out = new TreeMap<>();
            counts.forEach((k, v) -> out.merge(k.substring(k.indexOf(' ') + 1), v.sum(), Long::sum));
            return out;
        }

        Map<String, Long> byKindAndOutcome() {
            Map<String, Long> out = new TreeMap<>();
            counts.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }
    }

    /** A kind of client in a burst: how many, how many requests each, and the request. */
    private record Clients(String kind, int clients, int requests, Request request) {
    }

    @FunctionalInterface
    private interface Request {
        RawHttp.Result send(int client, int round);
    }

    private static LaunchedCluster.Layout layout() {
        LaunchedCluster.Layout layout = LaunchedCluster.Layout.of(3, 2, 2).killedOnClose();
        String masterOpts = System.getProperty("dcache.overload.masterOpts");
        String auxOpts = System.getProperty("dcache.overload.auxOpts");
        String auxMaxBytes = System.getProperty("dcache.overload.auxMaxBytes");
        if (masterOpts != null) {
            layout = layout.withNodeEnv("MASTER_JAVA_OPTS", masterOpts);
        }
        if (auxOpts != null) {
            layout = layout.withNodeEnv("AUX_JAVA_OPTS", auxOpts);
        }
        if (auxMaxBytes != null) {
            layout = layout.withNodeEnv("AUX_MAX_BYTES", auxMaxBytes);
        }
        return layout;
    }

    @Test
    void issueBurst_oneMaster_onlyOkTooLargeOrBusy() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(layout());
        new ClusterProbe(cluster, http).awaitReady();
        int master = port(cluster.masterUrl(1));

        Tally tally = burst(List.of(new Clients("bulk", 32, 3, (c, r) -> RawHttp.exchange(master, "POST", "/data/bulk",
                Map.of(), RawHttp.bulk("issue-" + c + "-" + r, 15, MB), 0, TIMEOUT))));

        report("issue_burst", cluster, tally);
    }

    /**
     * The issue's burst by clients that honour {@code Retry-After} (up to 60 tries each): how long
     * until every bulk write is stored. A figure for the notes; runs with
     * {@code -Ddcache.overload.retrying=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "dcache.overload.retrying", matches = "true")
    void issueBurst_clientsRetryAfter503_allStored() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(layout());
        new ClusterProbe(cluster, http).awaitReady();
        int master = port(cluster.masterUrl(1));
        LongAdder tries = new LongAdder();
        long start = System.nanoTime();

        Tally tally = burst(List.of(new Clients("bulk", 32, 3, (c, r) -> {
            RawHttp.Result last = null;
            for (int attempt = 0; attempt < 60; attempt++) {
                tries.increment();
                last = RawHttp.exchange(master, "POST", "/data/bulk", Map.of(), RawHttp.bulk("retry-" + c + "-" + r, 15, MB),
                        0, TIMEOUT);
                if (!last.outcome().equals("503")) {
                    break;
                }
                try {
                    Thread.sleep(1000); // Retry-After: 1
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return last;
        })));

        Metric.print("issue_burst_retrying", "requests_sent", tries.sum());
        Metric.print("issue_burst_retrying", "seconds_until_all_answered", (System.nanoTime() - start) / 1e9);
        report("issue_burst_retrying", cluster, tally);
        assertThat(tally.byOutcome()).as("final outcomes").containsOnlyKeys("200");
    }

    @Test
    void harshBurst_mixedLargeAndSlow_onlyOkTooLargeOrBusy() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(layout());
        new ClusterProbe(cluster, http).awaitReady();
        int master = port(cluster.masterUrl(1));
        int aux = cluster.auxPort(1);
        for (int i = 0; i < 16; i++) { // the values the readers below ask for, 1 MB each
            Http.Response r = http.post(cluster.masterUrl(1) + "/data", Map.of("key", "big-" + i, "value", "b".repeat(MB)));
            assertThat(r.status()).as("%s", r).isEqualTo(200);
        }
        byte[] bulkGet = Http.toJson(java.util.stream.IntStream.range(0, 16).mapToObj(i -> "big-" + i).toList())
                .getBytes(StandardCharsets.UTF_8);
        byte[] single = Http.toJson(Map.of("key", "single", "value", "s".repeat(MB))).getBytes(StandardCharsets.UTF_8);
        Map<String, String> token = Map.of("X-Cluster-Token", cluster.token());

        Tally tally = burst(List.of(
                new Clients("bulk", 64, 2, (c, r) -> RawHttp.exchange(master, "POST", "/data/bulk", Map.of(),
                        RawHttp.bulk("harsh-" + c + "-" + r, 16, MB), 0, TIMEOUT)),
                new Clients("slow", 8, 1, (c, r) -> RawHttp.exchange(master, "POST", "/data/bulk", Map.of(),
                        RawHttp.bulk("slow-" + c, 15, MB), 2 * MB, TIMEOUT)),
                new Clients("oversize", 8, 1, (c, r) -> RawHttp.exchange(master, "POST", "/data/bulk", Map.of(),
                        RawHttp.bulk("over-" + c, 20, MB), 0, TIMEOUT)),
                new Clients("single", 16, 10, (c, r) -> RawHttp.exchange(master, "POST", "/data", Map.of(),
                        RawHttp.bytes(single), 0, TIMEOUT)),
                new Clients("bulkget", 16, 5, (c, r) -> RawHttp.exchange(master, "POST", "/data/bulk/get", Map.of(),
                        RawHttp.bytes(bulkGet), 0, TIMEOUT)),
                new Clients("get", 16, 20, (c, r) -> RawHttp.exchange(master, "GET", "/data/big-" + (r % 16), Map.of(),
                        null, 0, TIMEOUT)),
                new Clients("auxbatch", 16, 2, (c, r) -> RawHttp.exchange(aux, "POST", "/internal/batch/put", token,
                        RawHttp.entries("auxb-" + c + "-" + r, 16, MB), 0, TIMEOUT))));

        report("harsh_burst", cluster, tally);
    }

    /** Runs every client on its own thread, all at once, and waits for all (each request is bounded). */
    private static Tally burst(List<Clients> kinds) throws InterruptedException {
        Tally tally = new Tally();
        List<Thread> threads = new ArrayList<>();
        for (Clients k : kinds) {
            for (int c = 0; c < k.clients(); c++) {
                int client = c;
                threads.add(Thread.ofPlatform().name(k.kind() + "-" + c).start(() -> {
                    for (int r = 0; r < k.requests(); r++) {
                        tally.add(k.kind(), k.request().send(client, r));
                    }
                }));
            }
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                tally.odd.add(t.getName() + " still running after 6 minutes");
            }
        }
        return tally;
    }

    /**
     * Milliseconds until write+read pairs through master-1 start to succeed without a failure for a
     * whole second (the first success alone can come just before a master that was starved by the
     * burst fences the aux nodes, and they refuse reads while they catch up); -1 past {@code max}.
     */
    private long untilServingSteadily(LaunchedCluster cluster, Duration max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        long steadySince = -1;
        for (int i = 0; System.nanoTime() < deadline; i++) {
            boolean ok;
            try {
                Http.Response w = http.post(cluster.masterUrl(1) + "/data", Map.of("key", "probe-" + i, "value", "p"));
                Http.Response g = http.get(cluster.masterUrl(1) + Http.dataPath("probe-" + i));
                ok = w.status() == 200 && g.status() == 200;
            } catch (java.io.IOException e) {
                ok = false;
            }
            long now = System.nanoTime();
            if (!ok) {
                steadySince = -1;
            } else if (steadySince < 0) {
                steadySince = now;
            } else if (now - steadySince >= Duration.ofSeconds(1).toNanos()) {
                return (steadySince - start) / 1_000_000;
            }
            Thread.sleep(ok ? 20 : 100); // paces the probe whose steadiness is measured
        }
        return -1;
    }

    /** Prints the figures, then checks what must hold. */
    private void report(String scenario, LaunchedCluster cluster, Tally tally) throws Exception {
        NodeProcesses nodes = new NodeProcesses(cluster);
        tally.byOutcome().forEach((outcome, n) -> Metric.print(scenario, "status_" + outcome, n));
        tally.byKindAndOutcome().forEach((k, n) -> Metric.print(scenario, "by_kind_" + k.replace(' ', '_'), n));
        tally.odd.stream().limit(20).forEach(line -> System.out.println("odd outcome: " + line));
        tally.unknownWhy.forEach((why, n) -> System.out.println("504 (outcome unknown) x" + n.sum() + ": " + why));
        // When the burst starved a master of CPU long enough that it took the aux nodes off its ring,
        // it fenced them: they refuse reads (and ordering writes) until it has them back and they
        // caught up (docs/consistency.md). How long until it serves steadily is measured, bounded, then the pairs.
        long recoveredMs = untilServingSteadily(cluster, Duration.ofSeconds(30));
        Metric.print(scenario, "after_serving_again_ms", recoveredMs);
        assertThat(recoveredMs).as("ms after the burst until writes and reads succeed for a second on end (-1: not in 30 s)")
                .isBetween(0L, 30_000L);
        // then: the master serves single writes and reads as usual
        long worstMs = 0;
        List<Long> pairMs = new java.util.ArrayList<>();
        int ok = 0;
        String firstFailure = null;
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            try {
                Http.Response w = http.post(cluster.masterUrl(1) + "/data", Map.of("key", "after-" + i, "value", "v" + i));
                Http.Response g = http.get(cluster.masterUrl(1) + Http.dataPath("after-" + i));
                if (w.status() == 200 && g.status() == 200 && g.json().path("value").asText().equals("v" + i)) {
                    ok++;
                } else if (firstFailure == null) {
                    firstFailure = w + " / " + g;
                }
            } catch (java.io.IOException e) {
                if (firstFailure == null) {
                    firstFailure = e.toString();
                }
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            pairMs.add(ms);
            worstMs = Math.max(worstMs, ms);
        }
        long medianMs = pairMs.stream().sorted().toList().get(pairMs.size() / 2);
        Map<String, Long> ooms = nodes.outOfMemoryErrors();
        long oomTotal = ooms.values().stream().mapToLong(Long::longValue).sum();
        Metric.print(scenario, "oom_lines", oomTotal);
        ooms.forEach((node, n) -> Metric.print(scenario, "oom_lines_" + node, n));
        for (String node : List.of("master-1", "master-2", "aux-1", "aux-2", "aux-3")) {
            Metric.print(scenario, "peak_rss_mib_" + node, nodes.peakRss(node) / (double) (1 << 20));
        }
        Metric.print(scenario, "after_ok_of_20", ok);
        Metric.print(scenario, "after_first_write_read_ms", pairMs.get(0));
        Metric.print(scenario, "after_median_write_read_ms", medianMs);
        Metric.print(scenario, "after_worst_write_read_ms", worstMs);
        if (firstFailure != null) {
            System.out.println("first failed write+read after the burst: " + firstFailure);
        }

        assertThat(oomTotal).as("OutOfMemoryError lines in the node logs: %s", ooms).isZero();
        long answers = tally.byOutcome().values().stream().mapToLong(Long::longValue).sum();
        Metric.print(scenario, "writes_outcome_unknown", tally.outcomeUnknown.sum());
        assertThat(tally.byOutcome().keySet()).as("outcomes of %s; odd ones: %s", scenario, tally.odd)
                .allMatch(o -> o.equals("200") || o.equals("404") || o.equals("413") || o.equals("503")
                        || o.equals("504-outcome-unknown"));
        assertThat(tally.outcomeUnknown.sum()).as("writes answered 504 (outcome unknown) of %d answers", answers)
                .isLessThanOrEqualTo(Math.max(1, answers / 100));
        assertThat(ok).as("write+read pairs right after the burst; first failure: %s", firstFailure).isEqualTo(20);
        // the aux nodes may still be finishing batches the burst queued: a slow pair or two is fine
        assertThat(medianMs).as("median write+read right after the burst, ms").isLessThan(200);
        assertThat(worstMs).as("slowest write+read right after the burst, ms").isLessThan(2000);
        assertThat(nodes.logLines("master-1", "unhandled error")).as("unhandled errors in master-1's log").isZero();
    }

    private static int port(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }
}
