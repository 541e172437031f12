package dev.dcache.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A mixed workload through nginx against a launched cluster (3 aux nodes, 2 masters, RF=2, the
 * default heaps) for a bounded time, with master-1 paused (SIGSTOP) for 8 s at 55% of the run
 * and aux-2 at 75%. Reads, writes, deletes, bulk writes and reads, values near the 1 MiB limit,
 * TTLs and a few hot keys, each client thread bounded by a pause between requests so the machine
 * keeps room for the nodes.
 *
 * <p>Checks: no {@code OutOfMemoryError} in any node's log; no 500, 502 or failed connection; a 504
 * for a write sent while master-1 was paused (nginx does not retry a POST; see docs/overload.md),
 * and otherwise for at most 0.1% of the requests (a master starved of CPU for over a second); the
 * heap after a full GC of every node and its open file descriptors flat between the end of the
 * first minute (of the first half, for a shorter run) and the end of the run, both taken with the
 * clients held for 2 s so that no request is in flight (an aux node's heap counted without its cache's bytes, which
 * fill up meanwhile). Prints the p99 latency of every kind of request per minute, and every figure,
 * as {@code METRIC} lines.
 *
 * <p>CI runs it for 2 minutes; {@code -Ddcache.soak.minutes=30} runs it for half an hour:
 * <pre>
 * bin/test -pl system-tests -am -Dtest=SoakSystemTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Ddcache.soak.minutes=30 | grep ^METRIC
 * </pre>
 */
class SoakSystemTest {
    private static final double MINUTES = Double.parseDouble(System.getProperty("dcache.soak.minutes", "2"));
    private static final Duration RUN = Duration.ofMillis((long) (MINUTES * 60_000));
    private static final Duration PAUSE = Duration.ofSeconds(8);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final int SMALL_KEYS = 2000;
    private static final int LARGE_KEYS = 40;
    private static final int HOT_KEYS = 8;
    private static final int BULK_ITEMS = 50;
    private static final int LARGE_VALUE = 1_000_000;
    /** Growth of the heap after a full GC (an aux node's: without its cache) that still counts as flat. */
    private static final long HEAP_SLACK = 24L << 20;
    /** Share of requests that may get a 504 outside the master's pause (a master starved of CPU). */
    private static final double STRAY_TIMEOUTS = 0.001;
    /** Growth of open file descriptors that still counts as flat (connections come and go). */
    private static final int FD_SLACK = 48;

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private final Http http = new Http();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** One finished request. */
    private record Done(String op, long startNanos, long nanos, String outcome) {
    }

    /** A node's figures at one moment. */
    private record Sample(long heapAfterGc, long cacheBytes, int openFiles) {
        long heapBeyondCache() {
            return heapAfterGc - cacheBytes;
        }
    }

    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private volatile long masterPauseStart = Long.MAX_VALUE;
    private volatile long masterPauseEnd = Long.MAX_VALUE;
    private volatile boolean running = true;
    /** Set while the nodes are sampled: clients hold their next request, so nothing is in flight. */
    private volatile boolean quiet;

    @Test
    @Timeout(value = 4 * 60 * 60, unit = TimeUnit.SECONDS)
    void soak_mixedLoadWithPausedMasterAndAux_noOomNo500NoLeak() throws Exception {
        LaunchedCluster cluster = CLUSTERS.forTest(LaunchedCluster.Layout.of(3, 2, 2).killedOnClose());
        new ClusterProbe(cluster, http).awaitReady();
        NodeProcesses nodes = new NodeProcesses(cluster);
        List<String> names = List.of("master-1", "master-2", "aux-1", "aux-2", "aux-3");
        String api = cluster.api();
        String large = "L".repeat(LARGE_VALUE);

        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        threads.addAll(client("read", 4, 2, r -> get(api, r.nextInt(100) < 30 ? hot(r) : small(r))));
        threads.addAll(client("write", 3, 3, r -> post(api, small(r), "v" + r.nextLong(), r.nextInt(5) == 0 ? 1 + r.nextInt(5) : 0)));
        threads.addAll(client("hot-write", 1, 20, r -> post(api, hot(r), "h" + r.nextLong(), 0)));
        threads.addAll(client("delete", 1, 10, r -> delete(api, small(r))));
        threads.addAll(client("bulk", 1, 20, r -> bulk(api, r)));
        threads.addAll(client("bulk-get", 1, 20, r -> bulkGet(api, r)));
        threads.addAll(client("large", 1, 50, r -> r.nextBoolean()
                ? post(api, "large-" + r.nextInt(LARGE_KEYS), large, 0)
                : "large-get " + get(api, "large-" + r.nextInt(LARGE_KEYS))));

        Map<String, Sample> first = null;
        // the end of the first minute (of the first half of a shorter run): pools and JIT warmed up
        long firstSampleAt = start + Math.min(RUN.toNanos() / 2, Duration.ofMinutes(1).toNanos());
        long masterPauseAt = start + RUN.toNanos() * 55 / 100;
        long auxPauseAt = start + RUN.toNanos() * 75 / 100;
        long lastSampleAt = start + RUN.toNanos() - Duration.ofSeconds(5).toNanos();
        boolean masterPaused = false;
        boolean auxPaused = false;
        try {
            waitUntil(firstSampleAt);
            first = sample(cluster, nodes, names);
            waitUntil(masterPauseAt);
            masterPauseStart = System.nanoTime();
            nodes.pause("master-1");
            masterPaused = true;
            Thread.sleep(PAUSE.toMillis()); // the scenario's timeline: the node stays stopped for PAUSE
            nodes.resume("master-1");
            masterPaused = false;
            masterPauseEnd = System.nanoTime();
            waitUntil(auxPauseAt);
            nodes.pause("aux-2");
            auxPaused = true;
            Thread.sleep(PAUSE.toMillis()); // the scenario's timeline: the node stays stopped for PAUSE
            nodes.resume("aux-2");
            auxPaused = false;
            waitUntil(lastSampleAt);
        } finally {
            if (masterPaused) {
                nodes.resume("master-1");
            }
            if (auxPaused) {
                nodes.resume("aux-2");
            }
        }
        Map<String, Sample> last = sample(cluster, nodes, names);
        // A leak is memory that stays. What an aux node holds for a moment at the sample (records
        // it streams to the node that was paused while it catches up, values of up to 1 MB) is
        // gone a few seconds later: a node past the slack is sampled again, at most twice, and
        // keeps its lowest sample. (CI saw 34 MiB on one co-owner of the paused node; the next
        // local run 3.5 MiB.)
        for (int again = 0; again < 2 && grewPastSlack(first, last); again++) {
            Map<String, Sample> next = sample(cluster, nodes, names);
            Map<String, Sample> lower = new TreeMap<>();
            for (String n : names) {
                lower.put(n, next.get(n).heapBeyondCache() < last.get(n).heapBeyondCache() ? next.get(n) : last.get(n));
            }
            last = lower;
        }
        running = false;
        for (Thread t : threads) {
            t.join(REQUEST_TIMEOUT.toMillis() + 5_000);
            assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
        }

        // figures
        Metric.print("soak", "minutes", MINUTES);
        Metric.print("soak", "requests", done.size());
        Metric.print("soak", "timeouts_504_during_master_pause", done.stream().filter(this::expectedTimeout).count());
        Metric.print("soak", "timeouts_504_otherwise", done.stream()
                .filter(d -> d.outcome().equals("504") && !expectedTimeout(d)).count());
        new TreeMap<>(outcomes).forEach((k, v) -> Metric.print("soak", "outcome_" + k.replace(' ', '_'), v.sum()));
        printPerMinute(start);
        Map<String, Long> ooms = nodes.outOfMemoryErrors();
        ooms.forEach((node, n) -> Metric.print("soak", "oom_lines_" + node, n));
        for (String n : names) {
            Sample f = first.get(n);
            Sample l = last.get(n);
            Metric.print("soak", n + "_heap_after_gc_first_mib", f.heapAfterGc() / (double) (1 << 20));
            Metric.print("soak", n + "_heap_after_gc_last_mib", l.heapAfterGc() / (double) (1 << 20));
            Metric.print("soak", n + "_heap_beyond_cache_growth_mib",
                    (l.heapBeyondCache() - f.heapBeyondCache()) / (double) (1 << 20));
            Metric.print("soak", n + "_open_files_first", f.openFiles());
            Metric.print("soak", n + "_open_files_last", l.openFiles());
        }

        for (String n : names) { // a diagnosis for a failed heap check below; best effort
            if (last.get(n).heapBeyondCache() - first.get(n).heapBeyondCache() >= HEAP_SLACK) {
                try {
                    System.out.println("live objects of " + n + " at the end:\n" + nodes.histogram(n, 25));
                } catch (RuntimeException e) {
                    System.out.println("no histogram of " + n + ": " + e);
                }
            }
        }

        // checks
        assertThat(ooms.values().stream().mapToLong(Long::longValue).sum()).as("OutOfMemoryError lines: %s", ooms).isZero();
        List<Done> bad = done.stream().filter(d -> !allowed(d)).toList();
        assertThat(bad).as("requests with an outcome the soak does not allow (first 20): %s",
                bad.stream().limit(20).toList()).isEmpty();
        List<Done> stray = done.stream().filter(d -> d.outcome().equals("504") && !expectedTimeout(d)).toList();
        assertThat((double) stray.size()).as("504s not explained by the master's pause (first 20): %s",
                stray.stream().limit(20).toList()).isLessThanOrEqualTo(STRAY_TIMEOUTS * done.size());
        for (String n : names) {
            Sample f = first.get(n);
            Sample l = last.get(n);
            assertThat(l.heapBeyondCache() - f.heapBeyondCache()).as("%s heap after GC beyond its cache, growth", n)
                    .isLessThan(HEAP_SLACK);
            assertThat(l.openFiles() - f.openFiles()).as("%s open files, growth", n).isLessThan(FD_SLACK);
        }
    }

    /**
     * What the soak accepts: 200, 404 (absent or expired), 503 (shed), and 504 (nginx gave up on a
     * master after 1 s): expected for a write sent while master-1 was paused, otherwise a sign of a
     * master too starved to answer in time, allowed for at most {@link #STRAY_TIMEOUTS} of the
     * requests. Never a 500, a 502 or a failed connection.
     */
    private static boolean allowed(Done d) {
        String o = d.outcome();
        return o.equals("200") || o.equals("404") || o.equals("503") || o.equals("504");
    }

    /** A 504 for a write sent while master-1 was paused (or just before): what nginx answers then. */
    private boolean expectedTimeout(Done d) {
        boolean write = d.op().equals("write") || d.op().equals("hot-write") || d.op().equals("bulk")
                || d.op().equals("large-post");
        boolean duringMasterPause = d.startNanos() - masterPauseStart >= -Duration.ofSeconds(1).toNanos()
                && d.startNanos() - masterPauseEnd <= 0;
        return d.outcome().equals("504") && write && duringMasterPause;
    }

    @FunctionalInterface
    private interface Op {
        String run(ThreadLocalRandom random) throws Exception;
    }

    /**
     * Starts {@code threads} threads running {@code op} until the end, {@code pauseMillis} apart.
     * {@code op} answers the status, or "kind status" to file it under another kind of request.
     */
    private List<Thread> client(String name, int threads, int pauseMillis, Op op) {
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            started.add(Thread.ofPlatform().daemon().name("soak-" + name + "-" + t).start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (running) {
                    if (quiet) {
                        try {
                            Thread.sleep(20); // held while sample() measures
                        } catch (InterruptedException e) {
                            return;
                        }
                        continue;
                    }
                    long s = System.nanoTime();
                    String kind = name;
                    String outcome;
                    try {
                        outcome = op.run(random);
                        if (outcome.contains(" ")) { // "op outcome"
                            kind = outcome.substring(0, outcome.indexOf(' '));
                            outcome = outcome.substring(outcome.indexOf(' ') + 1);
                        }
                    } catch (Exception e) {
                        outcome = "error:" + e.getClass().getSimpleName();
                    }
                    Done d = new Done(kind, s, System.nanoTime() - s, outcome);
                    done.add(d);
                    outcomes.computeIfAbsent(kind + " " + outcome, k -> new LongAdder()).increment();
                    try {
                        Thread.sleep(pauseMillis); // paces the client
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        return started;
    }

    private static String small(ThreadLocalRandom r) {
        return "soak-" + r.nextInt(SMALL_KEYS);
    }

    private static String hot(ThreadLocalRandom r) {
        return "hot-" + r.nextInt(HOT_KEYS);
    }

    private String get(String api, String key) throws Exception {
        return Integer.toString(send(HttpRequest.newBuilder(URI.create(api + Http.dataPath(key))).GET()));
    }

    private String delete(String api, String key) throws Exception {
        return Integer.toString(send(HttpRequest.newBuilder(URI.create(api + Http.dataPath(key))).DELETE()));
    }

    private String post(String api, String key, String value, int ttl) throws Exception {
        Map<String, Object> body = ttl > 0 ? Map.of("key", key, "value", value, "ttl", ttl) : Map.of("key", key, "value", value);
        int status = send(json(api + "/data", body));
        return (value.length() >= LARGE_VALUE ? "large-post " : "") + status;
    }

    private String bulk(String api, ThreadLocalRandom r) throws Exception {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < BULK_ITEMS; i++) {
            items.add(Map.of("key", small(r), "value", "b" + r.nextLong(), "ttl", 30 + r.nextInt(30)));
        }
        return Integer.toString(send(json(api + "/data/bulk", items)));
    }

    private String bulkGet(String api, ThreadLocalRandom r) throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < BULK_ITEMS; i++) {
            keys.add(r.nextInt(10) == 0 ? "large-" + r.nextInt(LARGE_KEYS) : small(r));
        }
        return Integer.toString(send(json(api + "/data/bulk/get", keys)));
    }

    private static HttpRequest.Builder json(String url, Object body) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Http.toJson(body), StandardCharsets.UTF_8));
    }

    private int send(HttpRequest.Builder request) throws Exception {
        return client.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void waitUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000)); // the soak's timeline
        }
    }

    private static final Pattern CACHE_BYTES = Pattern.compile("(?m)^dcache_cache_bytes\\{[^}]*} ([0-9.eE+]+)$");

    /**
     * Every node's heap after full GCs, cache bytes and open files, taken with the clients held
     * (2 s for what is in flight to finish): what a node keeps, not what a request in flight holds.
     */
    private static boolean grewPastSlack(Map<String, Sample> first, Map<String, Sample> last) {
        return first.keySet().stream()
                .anyMatch(n -> last.get(n).heapBeyondCache() - first.get(n).heapBeyondCache() >= HEAP_SLACK);
    }

    private Map<String, Sample> sample(LaunchedCluster cluster, NodeProcesses nodes, List<String> names) throws Exception {
        quiet = true;
        try {
            Thread.sleep(2000); // clients held: what is in flight finishes before the sample (see above)
            return sampleNow(cluster, nodes, names);
        } finally {
            quiet = false;
        }
    }

    private Map<String, Sample> sampleNow(LaunchedCluster cluster, NodeProcesses nodes, List<String> names)
            throws Exception {
        Map<String, Sample> out = new TreeMap<>();
        for (String n : names) {
            long cache = 0;
            if (n.startsWith("aux-")) {
                String metrics = http.get(cluster.auxUrl(Integer.parseInt(n.substring(4))) + "/metrics").body();
                Matcher m = CACHE_BYTES.matcher(metrics);
                cache = m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
            }
            out.put(n, new Sample(nodes.heapAfterFullGc(n), cache, nodes.openFiles(n)));
        }
        return out;
    }

    /** p99 (and count) per minute of every kind of request: {@code METRIC scenario=soak_minute_<m> p99_ms_<op>=...}. */
    private void printPerMinute(long start) {
        Map<Long, Map<String, List<Long>>> byMinute = new TreeMap<>();
        for (Done d : done) {
            long minute = (d.startNanos() - start) / 60_000_000_000L;
            byMinute.computeIfAbsent(minute, m -> new TreeMap<>()).computeIfAbsent(d.op(), o -> new ArrayList<>())
                    .add(d.nanos() / 1_000_000);
        }
        byMinute.forEach((minute, ops) -> ops.forEach((op, ms) -> {
            Metric.print("soak_minute_" + minute, "p99_ms_" + op, p99(ms));
            Metric.print("soak_minute_" + minute, "count_" + op, ms.size());
        }));
        System.out.println("soak p99 ms per minute: " + String.format(Locale.ROOT, "%s", byMinute.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue().entrySet().stream().map(o -> o.getKey() + "=" + p99(o.getValue()))
                        .toList()).toList()));
    }

    private static long p99(List<Long> ms) {
        long[] sorted = ms.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
    }
}
