package dev.dcache.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients see through nginx while one master is paused (SIGSTOP: it keeps its sockets, the
 * kernel still accepts connections, nothing answers) and after it resumes.
 *
 * <p>Six client threads, each owning its keys, read (60%), write (30%) and delete (10%) through
 * nginx; after a quiet spell master-1 is paused for {@code dcache.pause.seconds} (default 10)
 * and resumed. Every request's latency and status is kept, by phase (before, paused, after),
 * and printed as {@code METRIC} lines: how long reads stall, what writes get. Then every key is
 * read back against what the clients were told ({@link AckedWrites}): a write answered 504 that
 * the paused master applied once it ran again, after a later acknowledged write to the key, would
 * show as a stale value. And three POSTs are sent straight to the paused master the way nginx
 * would, given up after 1 s, then written anew through master-2: the newer values must stand.
 *
 * <p>Checks: every request gets 200, 404 or 504; reads during the pause have a p99 under a second;
 * a 504 is a POST nginx had sent to the paused master (never retried by nginx), or else rare (at
 * most 0.5%: a master starved of CPU for a second on a loaded machine); nothing read back is
 * stale; no late write overwrites a newer one.
 * <pre>
 * bin/test -pl system-tests -am -Dtest=PausedMasterSystemTest -Dsurefire.failIfNoSpecifiedTests=false | grep ^METRIC
 * </pre>
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PausedMasterSystemTest {
    private static final int THREADS = 6;
    private static final int KEYS_PER_THREAD = 100;
    private static final Duration PAUSE = Duration.ofSeconds(Integer.getInteger("dcache.pause.seconds", 10));
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final int LATE_WRITES = 3;

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private final Http http = new Http();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final AckedWrites ledger = new AckedWrites();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> staleReads = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile long pauseStart = Long.MAX_VALUE;
    private volatile long pauseEnd = Long.MAX_VALUE;

    private record Done(String op, long startNanos, long millis, String outcome) {
    }

    @Test
    void pausedMaster_readsGoToTheOtherWithinASecond_writesFailFastAndNeverLandLate() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(LaunchedCluster.Layout.of(3, 2, 2).killedOnClose());
        new ClusterProbe(cluster, http).awaitReady();
        NodeProcesses nodes = new NodeProcesses(cluster);
        ClientLoad.bulkWrite(http, cluster.api(), ledger, "pm", THREADS, THREADS * KEYS_PER_THREAD, 300);

        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            threads.add(Thread.ofPlatform().daemon().name("pm-client-" + t).start(() -> loop(cluster.api(), thread)));
        }
        boolean paused = false;
        List<String> lateOutcomes = new ArrayList<>();
        try {
            Thread.sleep(QUIET.toMillis()); // the scenario's timeline: quiet load before the pause
            pauseStart = System.nanoTime();
            nodes.pause("master-1");
            paused = true;
            lateOutcomes.addAll(writeToPausedThenElsewhere(cluster));
            // the scenario's timeline: master-1 stays stopped for PAUSE in all
            Thread.sleep(Math.max(0, PAUSE.toMillis() - (System.nanoTime() - pauseStart) / 1_000_000));
            nodes.resume("master-1");
            paused = false;
            pauseEnd = System.nanoTime();
            Thread.sleep(QUIET.toMillis()); // the scenario's timeline: quiet load after the pause
        } finally {
            if (paused) {
                nodes.resume("master-1");
            }
            running = false;
        }
        for (Thread t : threads) {
            t.join(REQUEST_TIMEOUT.toMillis() + 5_000);
            assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
        }
        Thread.sleep(1000); // let master-1 finish whatever it read right after resuming
        List<String> stale = ledger.readBack(http, cluster.api());
        List<String> lateValues = new ArrayList<>();
        for (int i = 0; i < LATE_WRITES; i++) {
            lateValues.add(http.get(cluster.masterUrl(2) + Http.dataPath("late-" + i)).json().path("value").asText());
        }

        for (String phase : List.of("before", "paused", "after")) {
            for (String op : List.of("read", "write", "delete")) {
                print(phase, op, done.stream().filter(d -> d.op().equals(op) && phase(d).equals(phase)).toList());
            }
        }
        String metrics = http.get(cluster.masterUrl(1) + "/metrics").body();
        Metric.print("paused_master", "pause_seconds", PAUSE.toSeconds());
        Metric.print("paused_master", "master1_stalls_seen", counter(metrics, "dcache_stalls_total"));
        Metric.print("paused_master", "master1_stale_writes_refused",
                counter(metrics, "dcache_admission_shed_total\\{[^}]*reason=\"stale\"[^}]*}"));
        Metric.print("paused_master", "late_writes_sent_to_paused_master", LATE_WRITES);
        Metric.print("paused_master", "late_writes_client_saw", String.join(",", lateOutcomes));
        Metric.print("paused_master", "late_writes_that_overwrote_a_newer_value",
                lateValues.stream().filter(v -> !v.equals("fresh")).count());
        Metric.print("paused_master", "stale_reads_during_run", staleReads.size());
        Metric.print("paused_master", "stale_keys_read_back", stale.size());
        staleReads.stream().limit(10).forEach(s -> System.out.println("stale read: " + s));
        stale.stream().limit(10).forEach(s -> System.out.println("stale key: " + s));

        List<Done> reads = done.stream().filter(d -> d.op().equals("read")).toList();
        List<Done> pausedReads = reads.stream().filter(d -> phase(d).equals("paused")).toList();
        assertThat(done).as("every request answered 200, 404 or 504 (never 5xx else, never a failed connection)")
                .allMatch(d -> d.outcome().equals("200") || d.outcome().equals("404") || d.outcome().equals("504"));
        assertThat(pausedReads).as("reads during the pause").isNotEmpty();
        assertThat(p99(pausedReads)).as("p99 of reads during the pause, ms").isLessThan(1000);
        List<Done> stray = done.stream().filter(d -> d.outcome().equals("504") && !expectedTimeout(d)).toList();
        assertThat((double) stray.size()).as("504s other than a POST sent to the paused master (a master starved of"
                + " CPU for a second), first 10: %s", stray.stream().limit(10).toList())
                .isLessThanOrEqualTo(0.005 * done.size());
        assertThat(staleReads).as("stale reads during the run").isEmpty();
        assertThat(lateValues).as("late-i after the paused master resumed: the newer write must stand").containsOnly("fresh");
        assertThat(stale).as("keys whose value read back is not what the clients were told").isEmpty();
    }

    /**
     * What nginx does to a POST that reaches the paused master, made by hand so it surely happens:
     * sends it straight to master-1 with nginx's {@code X-Request-Start}, gives up after 1 s (504),
     * then the client writes a newer value through master-2, which is acknowledged. When master-1
     * runs again it reads the first request; applying it then would overwrite the newer value.
     *
     * @return what the client saw of each request to the paused master
     */
    private List<String> writeToPausedThenElsewhere(LaunchedCluster cluster) throws IOException, InterruptedException {
        int master1 = Integer.parseInt(cluster.masterUrl(1).substring(cluster.masterUrl(1).lastIndexOf(':') + 1));
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < LATE_WRITES; i++) {
            long now = System.currentTimeMillis();
            String sent = "t=" + now / 1000 + "." + String.format("%03d", now % 1000);
            byte[] body = Http.toJson(Map.of("key", "late-" + i, "value", "late")).getBytes(StandardCharsets.UTF_8);
            outcomes.add(RawHttp.exchange(master1, "POST", "/data", Map.of("X-Request-Start", sent), RawHttp.bytes(body), 0,
                    Duration.ofSeconds(1)).outcome());
            Http.Response fresh = http.post(cluster.masterUrl(2) + "/data", Map.of("key", "late-" + i, "value", "fresh"));
            assertThat(fresh.status()).as("%s", fresh).isEqualTo(200);
        }
        return outcomes;
    }

    /** A 504 nginx gives a POST it sent to the paused master: it never retries a POST. */
    private boolean expectedTimeout(Done d) {
        return d.outcome().equals("504") && d.op().equals("write") && phase(d).equals("paused");
    }

    private static long p99(List<Done> ds) {
        long[] ms = ds.stream().mapToLong(Done::millis).sorted().toArray();
        return ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)];
    }

    private String phase(Done d) {
        return d.startNanos() < pauseStart ? "before" : d.startNanos() < pauseEnd ? "paused" : "after";
    }

    private static void print(String phase, String op, List<Done> ds) {
        String scenario = "paused_master_" + phase + "_" + op;
        long[] ms = ds.stream().mapToLong(Done::millis).sorted().toArray();
        Metric.print(scenario, "count", ms.length);
        if (ms.length == 0) {
            return;
        }
        Metric.print(scenario, "p50_ms", ms[ms.length / 2]);
        Metric.print(scenario, "p99_ms", ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)]);
        Metric.print(scenario, "max_ms", ms[ms.length - 1]);
        Metric.print(scenario, "over_1s", java.util.Arrays.stream(ms).filter(m -> m > 1000).count());
        Map<String, Long> outcomes = new TreeMap<>();
        ds.forEach(d -> outcomes.merge(d.outcome(), 1L, Long::sum));
        outcomes.forEach((o, n) -> Metric.print(scenario, "status_" + o, n));
    }

    private static long counter(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + "(?:\\{[^}]*})? ([0-9.eE+]+)$").matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }

    private void loop(String api, int thread) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long seq = 0;
        while (running) {
            String key = ClientLoad.key("pm", thread, r.nextInt(KEYS_PER_THREAD));
            int dice = r.nextInt(100);
            long start = System.nanoTime();
            String op = dice < 60 ? "read" : dice < 90 ? "write" : "delete";
            String value = "t" + thread + "-" + seq++;
            AckedWrites.Expected expected = ledger.expected(key);
            String outcome;
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api + (op.equals("write") ? "/data" : Http.dataPath(key))))
                        .timeout(REQUEST_TIMEOUT);
                switch (op) {
                    case "read" -> b.GET();
                    case "write" -> b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            Http.toJson(Map.of("key", key, "value", value)), StandardCharsets.UTF_8));
                    default -> b.DELETE();
                }
                HttpResponse<String> res = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                outcome = Integer.toString(res.statusCode());
                settle(op, key, value, res, expected);
            } catch (IOException e) {
                outcome = "error:" + e.getClass().getSimpleName();
                settle(op, key, value, null, expected);
            } catch (InterruptedException e) {
                return;
            }
            done.add(new Done(op, start, (System.nanoTime() - start) / 1_000_000, outcome));
            try {
                Thread.sleep(5); // paces the client
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Records what the client was told in the ledger, and checks what a read saw against it. */
    private void settle(String op, String key, String value, HttpResponse<String> res, AckedWrites.Expected before) {
        int status = res == null ? -1 : res.statusCode();
        switch (op) {
            case "write" -> {
                if (status == 200) {
                    ledger.acked(key, value);
                } else {
                    ledger.unsure(key, value);
                }
            }
            case "delete" -> {
                if (status == 200 || status == 404) {
                    ledger.acked(key, AckedWrites.ABSENT);
                } else {
                    ledger.unsure(key, AckedWrites.ABSENT);
                }
            }
            default -> {
                if (status == 200 || status == 404) {
                    String observed;
                    try {
                        observed = status == 404 ? AckedWrites.ABSENT : Http.JSON.readTree(res.body()).path("value").asText();
                    } catch (IOException e) {
                        observed = "<not JSON: " + res.body() + ">";
                    }
                    if (!before.allows(observed)) {
                        staleReads.add(key + ": expected " + before + ", read " + observed);
                    }
                }
            }
        }
    }
}
