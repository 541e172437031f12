package dev.dcache.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.common.concurrent.Await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@link LaunchedCluster}'s nodes say about themselves: each master's ring
 * ({@code GET /cluster}), the aux nodes' rebalancing progress ({@code GET /admin/cluster}) and
 * each aux node's records ({@code GET /internal/dump}) and snapshot gauge ({@code GET /metrics}).
 * The waits poll ({@link Await}) every 50 ms (the snapshot's every 200 ms) and are bounded; time
 * is measured on the test's clock, so a figure includes up to one poll interval.
 */
final class ClusterProbe {
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Pattern LAST_SNAPSHOT = Pattern.compile(
            "(?m)^dcache_snapshot_last_success_time_seconds(?:\\{[^}]*})? (\\S+)$");

    private final LaunchedCluster cluster;
    private final Http http;

    ClusterProbe(LaunchedCluster cluster, Http http) {
        this.cluster = cluster;
        this.http = http;
    }

    /**
     * One master's view.
     *
     * @param states node id to "up" / "down"
     */
    record MasterView(String master, String fingerprint, List<String> ring, int vnodes, int replicationFactor,
                      Map<String, String> states, Set<String> notServing) {
        boolean ringIs(Set<String> ids) {
            return new TreeSet<>(ring).equals(new TreeSet<>(ids));
        }
    }

    /** One aux node's rebalancing counters, from a master's admin API. */
    record Rebalance(String appliedFingerprint, String targetFingerprint, boolean running, long runs, long keysMoved,
                     long keysDropped, long lastDurationMillis, boolean straysPending) {
        static Rebalance of(JsonNode n) {
            return new Rebalance(n.path("appliedFingerprint").asText(), n.path("targetFingerprint").asText(),
                    n.path("running").asBoolean(), n.path("runs").asLong(), n.path("keysMoved").asLong(),
                    n.path("keysDropped").asLong(), n.path("lastDurationMillis").asLong(),
                    n.path("straysPending").asBoolean());
        }
    }

    MasterView view(int master) throws IOException, InterruptedException {
        Http.Response r = http.get(cluster.masterUrl(master) + "/cluster");
        if (r.status() != 200) {
            throw new AssertionError("master-" + master + ": " + r);
        }
        JsonNode j = r.json();
        List<String> ring = new ArrayList<>();
        j.path("ring").forEach(n -> ring.add(n.asText()));
        Map<String, String> states = new TreeMap<>();
        Set<String> notServing = new TreeSet<>();
        j.path("nodes").forEach(n -> {
            states.put(n.path("id").asText(), n.path("state").asText());
            if (!n.path("serving").asBoolean(true)) {
                notServing.add(n.path("id").asText());
            }
        });
        return new MasterView(j.path("master").asText(), j.path("fingerprint").asText(), ring, j.path("vnodes").asInt(),
                j.path("replicationFactor").asInt(), states, notServing);
    }

    List<MasterView> views() throws IOException, InterruptedException {
        List<MasterView> views = new ArrayList<>();
        for (int m = 1; m <= cluster.layout().masters(); m++) {
            views.add(view(m));
        }
        return views;
    }

    /** Each aux node's rebalancing counters as master-1 last heard them, by node id. */
    Map<String, Rebalance> rebalance() throws IOException, InterruptedException {
        Http.Response r = http.get(cluster.masterUrl(1) + "/admin/cluster", "X-Cluster-Token", cluster.token());
        if (r.status() != 200) {
            throw new AssertionError("master-1: " + r);
        }
        Map<String, Rebalance> out = new TreeMap<>();
        r.json().path("nodes").forEach(n -> {
            if (n.path("rebalance").isObject()) {
                out.put(n.path("id").asText(), Rebalance.of(n.path("rebalance")));
            }
        });
        return out;
    }

    /** Every record aux node {@code id} holds, tombstones included (null value), by key. */
    Map<String, JsonNode> dump(String id) throws IOException, InterruptedException {
        int index = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
        Http.Response r = http.get(cluster.auxUrl(index) + "/internal/dump", "X-Cluster-Token", cluster.token());
        if (r.status() != 200) {
            throw new AssertionError(id + ": " + r);
        }
        Map<String, JsonNode> records = new HashMap<>();
        r.json().forEach(n -> records.put(n.path("key").asText(), n));
        return records;
    }

    /** {@link #dump} of every node, by id. */
    Map<String, Map<String, JsonNode>> dumps(List<String> ids) throws IOException, InterruptedException {
        Map<String, Map<String, JsonNode>> out = new TreeMap<>();
        for (String id : ids) {
            out.put(id, dump(id));
        }
        return out;
    }

    /**
     * {@link AckedWrites#placementViolations} on the ring master-1 routes by, from every ring
     * node's dump. Reads nothing through the masters, so no read repair can hide a missing copy.
     */
    /** {@link #awaitStraysSwept(List, Duration)} for the ring master-1 routes by, up to 30 s. */
    void awaitStraysSwept() throws IOException, InterruptedException {
        awaitStraysSwept(view(1).ring(), Duration.ofSeconds(30));
    }

    List<String> placementViolations(AckedWrites ledger) throws IOException, InterruptedException {
        MasterView view = view(1);
        awaitStraysSwept(view.ring(), Duration.ofSeconds(30));
        return ledger.placementViolations(dumps(view.ring()), view.ring(), view.vnodes(), view.replicationFactor());
    }

    /**
     * Waits (bounded; then returns anyway, and the placement check reports what is left) until no
     * node of {@code ring} still holds records it took as a former owner while the ring settled:
     * nodes sweep them a few heartbeat intervals after every master writes by the new ring alone.
     */
    void awaitStraysSwept(List<String> ring, Duration max) {
        Await.within(max, POLL, () -> {
            Map<String, Rebalance> progress = Http.unchecked(this::rebalance);
            return ring.stream().noneMatch(id -> progress.get(id) == null || progress.get(id).straysPending());
        });
    }

    /**
     * Waits until every master's view satisfies {@code condition}.
     *
     * @param sinceNanos when the awaited change was caused ({@link System#nanoTime()})
     * @return milliseconds from {@code sinceNanos} until the condition was seen
     * @throws AssertionError with the last views if {@code max} passes first
     */
    long awaitMasters(String what, Predicate<MasterView> condition, long sinceNanos, Duration max)
            throws IOException, InterruptedException {
        return awaitViews(what, views -> views.stream().allMatch(condition), sinceNanos, max);
    }

    /** As {@link #awaitMasters}, for a condition on all masters' views together (master-1 first). */
    long awaitViews(String what, Predicate<List<MasterView>> condition, long sinceNanos, Duration max) {
        AtomicReference<List<MasterView>> last = new AtomicReference<>();
        Await.until(max, POLL, () -> what + "; masters say " + last.get(), () -> {
            last.set(Http.unchecked(this::views));
            return condition.test(last.get());
        });
        return (System.nanoTime() - sinceNanos) / 1_000_000;
    }

    /**
     * Waits until every master routes by a ring of exactly {@code ids} (so they agree on one
     * fingerprint), every node of that ring reports its data placed for it, no pass running, and
     * every master has heard that each of them serves reads (none is still catching up).
     *
     * @return milliseconds from {@code sinceNanos} until that was seen
     */
    long awaitSettled(Set<String> ids, long sinceNanos, Duration max) {
        AtomicReference<String> last = new AtomicReference<>();
        Await.until(max, POLL, () -> "settled on ring " + ids + "; " + last.get(), () -> {
            List<MasterView> views = Http.unchecked(this::views);
            String fingerprint = views.get(0).fingerprint();
            Map<String, Rebalance> progress = Http.unchecked(this::rebalance);
            last.set("masters " + views + ", rebalance " + progress);
            boolean agreed = views.stream().allMatch(v -> v.ringIs(ids) && v.fingerprint().equals(fingerprint)
                    && ids.stream().noneMatch(v.notServing()::contains));
            return agreed && ids.stream().allMatch(id -> placedFor(progress.get(id), fingerprint));
        });
        return (System.nanoTime() - sinceNanos) / 1_000_000;
    }

    /**
     * Waits until aux node {@code aux} (1-based) reports ({@code dcache_snapshot_last_success_time_seconds})
     * that its snapshot held everything at least a second after {@code epochMillis}. The gauge is
     * set when a write ends or an unchanged check runs; the second covers a write that began before.
     */
    void awaitSnapshotCovers(int aux, long epochMillis, Duration max) {
        double[] seen = {0};
        Await.until(max, Duration.ofMillis(200),
                () -> "aux-" + aux + ": last good snapshot at " + seen[0] + " s, waiting for one after " + epochMillis + " ms",
                () -> {
                    Matcher m = LAST_SNAPSHOT.matcher(Http.unchecked(() -> http.get(cluster.auxUrl(aux) + "/metrics")).body());
                    seen[0] = m.find() ? Double.parseDouble(m.group(1)) : 0;
                    return seen[0] * 1000 > epochMillis + 1000;
                });
    }

    /**
     * How long the cluster took over an event, both from just before it was caused.
     *
     * @param detectedMs   until every master showed it
     * @param rebalancedMs until the masters agreed on the new ring and every node of it reported
     *                     its data placed for it
     */
    record Reaction(long detectedMs, long rebalancedMs) {
        void print(String scenario) {
            Metric.print(scenario, "detection_ms", detectedMs);
            Metric.print(scenario, "rebalanced_ms", rebalancedMs);
        }
    }

    /**
     * Waits until every master shows {@code detected}, then until the cluster has settled on a
     * ring of exactly {@code ring} ({@link #awaitSettled}).
     */
    Reaction awaitReaction(String what, Predicate<MasterView> detected, Set<String> ring, long sinceNanos,
                           Duration max) throws IOException, InterruptedException {
        long detectedMs = awaitMasters(what, detected, sinceNanos, max);
        return new Reaction(detectedMs, awaitSettled(ring, sinceNanos, max));
    }

    /**
     * Waits until every master routes over all the aux nodes the cluster was launched with and
     * each of them reports its data placed for that ring: what "ready" means for a test.
     * {@code bin/cluster up} returns once every master's ring lists every aux node, but the aux
     * nodes may not yet have heard that ring from every master; an aux node that takes records
     * before the masters first agree on a ring never moves them (its "started empty" shortcut),
     * so they can be lost.
     */
    void awaitReady() throws IOException, InterruptedException {
        Set<String> all = new TreeSet<>();
        for (int i = 1; i <= cluster.layout().aux(); i++) {
            all.add("aux-" + i);
        }
        awaitSettled(all, System.nanoTime(), Duration.ofSeconds(60));
    }

    private static boolean placedFor(Rebalance r, String fingerprint) {
        return r != null && !r.running() && r.appliedFingerprint().equals(fingerprint)
                && r.targetFingerprint().equals(fingerprint);
    }

    /**
     * Records sent by rebalancing between two readings of {@link #rebalance()}: the sum over the
     * nodes in {@code after} of their counter's growth. A node missing from {@code before}, or
     * with fewer completed passes than then, counts from zero: it joined, or was restarted and its
     * counters started again.
     */
    static long keysMoved(Map<String, Rebalance> before, Map<String, Rebalance> after) {
        long moved = 0;
        for (Map.Entry<String, Rebalance> e : after.entrySet()) {
            Rebalance b = before.get(e.getKey());
            boolean fresh = b == null || e.getValue().runs() < b.runs();
            moved += e.getValue().keysMoved() - (fresh ? 0 : b.keysMoved());
        }
        return moved;
    }
}
