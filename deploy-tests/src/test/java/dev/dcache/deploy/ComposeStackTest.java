package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Compose stack, for real: docker-compose.yml as written, its images built from this
 * checkout, every service but Grafana started (Grafana's image is the one base image without a
 * Debian stand-in; its dashboards are checked by DashboardQueriesSystemTest), then used, broken
 * and scaled the way an operator would, through nginx's published port:
 *
 * <ol>
 *   <li>the public API: put, get, delete and bulk, odd keys included; private routes are 404;</li>
 *   <li>{@code docker kill} of an aux container under a write load: no acknowledged write lost;</li>
 *   <li>that container started again, and then another one killed and started on a quiet
 *       cluster: each restores from its volume exactly the records it held;</li>
 *   <li>{@code --scale aux=4}: every master sees 4 nodes and the same ring, every key readable;</li>
 *   <li>{@code --scale master=3}: nginx follows (its image need not be newer than Debian's);</li>
 *   <li>Prometheus: every master and aux target up, the alert rules loaded;</li>
 *   <li>{@code docker kill} of a master under load: requests through nginx keep succeeding;</li>
 *   <li>{@code docker compose down}, then {@code up}: every key back from the volumes.</li>
 * </ol>
 *
 * <p>Every figure is a {@code METRIC scenario=compose-... name=value} line in the test's output
 * (deploy-tests/target/surefire-reports/dev.dcache.deploy.ComposeStackTest-output.txt), the
 * compose commands' output and the containers' logs are under deploy-tests/target/compose-stack/.
 * Needs a Docker engine and Compose (v2 or 1.29): without them the test fails, unless
 * {@code DCACHE_DOCKER=skip} allows a skip outside CI. Waits are polls against deadlines: real
 * containers offer no clock to advance.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackTest {
    private static final Duration BUILD = Duration.ofMinutes(20);
    private static final Duration STARTUP = Duration.ofMinutes(5);
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final Duration CLI = Duration.ofMinutes(3);
    private static final Map<String, Integer> DEFAULT_SCALE = orderedMap("aux", 3, "master", 2, "nginx", 1, "prometheus", 1);
    private static final Pattern METRIC_LINE = Pattern.compile("^([a-z_]+)(?:\\{[^}]*})? ([-0-9.eE+NaInf]+)$", Pattern.MULTILINE);

    private static ComposeStack stack;
    private static Api api;
    private static String prometheus;
    /** Every key written so far that must still be readable, with its value. */
    private static final Map<String, String> written = new TreeMap<>();
    /** The aux container the kill case leaves stopped, for the restart case to start again. */
    private static String stoppedAux;

    @BeforeAll
    static void up() throws Exception {
        Repo repo = Repo.locate();
        int http = freePort();
        int prom = freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CLUSTER_TOKEN", "test-" + UUID.randomUUID());
        // fixed host ports would collide with whatever else the machine runs (bin/cluster, a
        // system Prometheus)
        env.put("DCACHE_HTTP_PORT", "127.0.0.1:" + http);
        env.put("DCACHE_PROMETHEUS_PORT", "127.0.0.1:" + prom);
        env.put("DCACHE_GRAFANA_PORT", "127.0.0.1:" + freePort());
        stack = ComposeStack.of(repo.path("docker-compose.yml").toFile(), env, repo.path("deploy-tests/target/compose-stack"));
        api = new Api("http://127.0.0.1:" + http);
        prometheus = "http://127.0.0.1:" + prom;

        metric("stack", "engine", DockerClientFactory.instance().client().versionCmd().exec().getVersion());
        metric("stack", "compose", '"' + stack.cliVersion() + '"');
        for (String image : List.of("DCACHE_BUILD_IMAGE", "DCACHE_RUNTIME_IMAGE", "DCACHE_NGINX_IMAGE", "DCACHE_PROMETHEUS_IMAGE")) {
            metric("stack", image.toLowerCase(Locale.ROOT), System.getenv().getOrDefault(image, "upstream default"));
        }

        long start = System.nanoTime();
        stack.build(BUILD, "aux", "master");
        metric("stack", "build_seconds", seconds(start));

        start = System.nanoTime();
        stack.up(DEFAULT_SCALE, STARTUP);
        metric("stack", "startup_to_healthy_seconds", seconds(start));
        metric("stack", "project", stack.project());
        eventually(SETTLE, "every master sees the same ring of 3 aux nodes", () -> ringsAgree(3, 2));
        metric("stack", "startup_to_ring_agreed_seconds", seconds(start));
        // on a starved host a node may still be ejected and readmitted once right after start
        eventually(SETTLE, "a write through nginx succeeds", () -> api.put("ready-probe", "1").ok());
        metric("stack", "startup_to_first_write_seconds", seconds(start));
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void publicApi_throughNginx_putGetDeleteAndBulkWithOddKeys() throws Exception {
        Api.Reply put = api.put("greeting", "hello");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("replicas").asInt()).isEqualTo(2);
        assertThat(api.get("greeting").text("value")).isEqualTo("hello");
        assertThat(api.delete("greeting").status()).isEqualTo(200);
        Api.Reply gone = api.get("greeting");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().has("error")).as(gone.body()).isTrue();
        assertThat(api.delete("greeting").status()).as("a second delete").isEqualTo(404);

        List<String> odd = List.of("dir/file name", "a?b#c%d&e=f", "ünïcödé ✓ 😀", ".", "..", "%2F", "+plus+", "k".repeat(250),
                "quote\"'back\\slash", "<html>");
        for (String key : odd) {
            String value = "value of " + key;
            Api.Reply r = api.put(key, value);
            assertThat(r.status()).as("put %s: %s", key, r.body()).isEqualTo(200);
            Api.Reply g = api.get(key);
            assertThat(g.status()).as("get %s: %s", key, g.body()).isEqualTo(200);
            assertThat(g.text("key")).isEqualTo(key);
            assertThat(g.text("value")).isEqualTo(value);
            written.put(key, value);
        }

        Map<String, String> bulk = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            bulk.put("bulk/" + i + (i % 7 == 0 ? " ✓" : ""), "b" + i);
        }
        Api.Reply stored = api.bulkPut(bulk);
        assertThat(stored.status()).as(stored.body()).isEqualTo(200);
        assertThat(stored.json().path("stored").asInt()).isEqualTo(bulk.size());
        List<String> ask = new ArrayList<>(bulk.keySet());
        ask.add("never written");
        Api.Reply got = api.bulkGet(ask);
        assertThat(got.status()).as(got.body()).isEqualTo(200);
        assertThat(Api.values(got)).isEqualTo(bulk);
        assertThat(got.json().path("missing").toString()).isEqualTo("[\"never written\"]");
        written.putAll(bulk);

        for (String path : List.of("/cluster", "/metrics", "/admin/cluster", "/internal/entries", "/data/%2E%2E/metrics")) {
            Api.Reply r = api.getRaw(path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json()).as(path + " answers JSON: " + r.body()).isNotNull();
        }
        metric("api", "odd_keys", odd.size());
        metric("api", "bulk_keys", bulk.size());
    }

    @Test
    @Order(2)
    void killedAuxContainer_underWriteLoad_losesNoAcknowledgedWrite() throws Exception {
        Container victim = stack.running("aux").getFirst();
        String victimId = stack.env(victim.getId(), "AUX_ID");
        long killedAt;
        WriteLoad load = new WriteLoad(api, "aux-kill", 2, Duration.ofSeconds(60), 5_000).start();
        try {
            TimeUnit.SECONDS.sleep(3); // the load runs a while before the kill
            stack.kill(victim.getId());
            killedAt = System.nanoTime();
            stoppedAux = victim.getId();
            // a killed container leaves Docker's DNS at once, and so the masters' node list
            eventually(Duration.ofSeconds(30), "every master drops " + victimId + " from its ring", () -> onNoRing(victimId));
            metric("aux-kill", "off_every_ring_after_seconds", seconds(killedAt));
            TimeUnit.SECONDS.sleep(5); // the load goes on a while after the kill
        } finally {
            load.stop();
        }
        Map<String, String> acked = load.acked();
        Map<String, String> lost = unreadable(acked);
        metric("aux-kill", "victim", victimId);
        metric("aux-kill", "writes", load.writes());
        metric("aux-kill", "writes_acknowledged", acked.size());
        metric("aux-kill", "requests_failed", load.failures().size());
        metric("aux-kill", "acknowledged_lost", lost.size());
        metric("aux-kill", "max_latency_ms", load.maxLatencyMillis());
        load.failures().stream().limit(10).forEach(f -> System.out.println("  aux-kill failure: " + f));
        assertThat(acked).as("acknowledged writes").isNotEmpty();
        assertThat(lost).as("acknowledged writes not readable after the kill").isEmpty();
        written.putAll(acked);
    }

    @Test
    @Order(3)
    void restartedAuxContainer_restoresItsRecordsFromItsVolume() throws Exception {
        assertThat(stoppedAux).as("the container killed by the case before").isNotNull();
        String firstId = stack.inspect(stoppedAux).getName();
        long started = System.nanoTime();
        stack.start(stoppedAux);
        eventually(Duration.ofSeconds(90), firstId + " healthy again", () -> "healthy".equals(stack.health(stoppedAux)));
        metric("aux-restart", "killed_node_healthy_after_seconds", seconds(started));
        eventually(SETTLE, "every master has the restarted node back on the ring", () -> ringsAgree(3, 2));
        metric("aux-restart", "killed_node_on_ring_after_seconds", seconds(started));
        // killed under load: it restores its last snapshot, at most AUX_SNAPSHOT_INTERVAL_MS old;
        // the writes since are on the other owner of each key (checked by the case before)
        metric("aux-restart", "killed_under_load_restored_entries", (long) auxMetric(stoppedAux, "dcache_snapshot_restored_entries"));

        // A clean measurement: a quiet cluster, a node whose snapshot holds everything it has.
        eventually(SETTLE, "no aux node rebalancing", this::noRebalancing);
        Container node = stack.running("aux").get(1);
        String id = stack.env(node.getId(), "AUX_ID");
        long held = snapshotCurrent(node.getId());
        stack.kill(node.getId());
        long restarted = System.nanoTime();
        stack.start(node.getId());
        eventually(Duration.ofSeconds(90), id + " healthy again", () -> "healthy".equals(stack.health(node.getId())));
        double restartSeconds = seconds(restarted);
        assertThat(stack.env(node.getId(), "AUX_ID")).as("the restarted container's node id (its slot)").isEqualTo(id);
        long restored = (long) auxMetric(node.getId(), "dcache_snapshot_restored_entries");
        metric("aux-restart", "node", id);
        metric("aux-restart", "entries_held_before_kill", held);
        metric("aux-restart", "entries_restored", restored);
        metric("aux-restart", "restart_to_healthy_seconds", restartSeconds);
        metric("aux-restart", "restored_minus_held", restored - held);
        assertThat(held).as("records on the node before the kill").isPositive();
        // At least every record it held: its snapshot was current. More when the node had handed
        // records off to their new owners since its last write (a rebalance drop does not count
        // as a change for the snapshot writer, so the file still holds those copies).
        assertThat(restored).as("records restored from the node's volume").isGreaterThanOrEqualTo(held);
        eventually(SETTLE, "every master has " + id + " back on the ring", () -> ringsAgree(3, 2));
        metric("aux-restart", "on_ring_after_seconds", seconds(restarted));
        assertThat(unreadable(written)).as("keys unreadable after the restarts").isEmpty();
    }

    @Test
    @Order(4)
    void scaledToFourAuxNodes_everyMasterSeesTheSameRingAndEveryKeyIsReadable() throws Exception {
        long start = System.nanoTime();
        stack.compose(CLI, "up", "-d", "--no-recreate", "--no-deps", "--scale", "aux=4", "aux");
        eventually(Duration.ofSeconds(120), "4 healthy aux containers", () -> healthy("aux") == 4);
        metric("scale-aux", "fourth_node_healthy_after_seconds", seconds(start));
        eventually(SETTLE, "every master sees 4 aux nodes up, all with the same fingerprint", () -> ringsAgree(4, 2));
        metric("scale-aux", "rings_agree_after_seconds", seconds(start));
        Set<String> ids = new HashSet<>();
        for (Container c : stack.running("aux")) {
            ids.add(stack.env(c.getId(), "AUX_ID"));
        }
        assertThat(ids).containsExactlyInAnyOrder("aux-1", "aux-2", "aux-3", "aux-4");
        eventually(SETTLE, "every key readable on the 4-node ring", () -> unreadable(written).isEmpty());
        metric("scale-aux", "keys_readable", written.size());
        metric("scale-aux", "all_readable_after_seconds", seconds(start));
        for (Container master : stack.running("master")) {
            JsonNode view = cluster(master.getId());
            metric("scale-aux", "ring_of_" + view.path("master").asText(), view.path("fingerprint").asText() + "/" + view.path("ring").size());
        }
    }

    @Test
    @Order(5)
    void scaledToThreeMasters_nginxSendsRequestsToEveryOne() throws Exception {
        long start = System.nanoTime();
        stack.compose(CLI, "up", "-d", "--no-recreate", "--no-deps", "--scale", "master=3", "master");
        eventually(Duration.ofSeconds(120), "3 healthy masters", () -> healthy("master") == 3);
        Set<String> seen = new HashSet<>();
        eventually(Duration.ofSeconds(60), "requests through nginx answered by 3 distinct masters", () -> {
            for (int i = 0; i < 12; i++) {
                Api.Reply r = api.getRaw("/health");
                if (r.ok()) {
                    seen.add(r.text("id"));
                }
            }
            return seen.size() == 3;
        });
        metric("scale-master", "masters_behind_nginx", seen.size());
        metric("scale-master", "all_reached_after_seconds", seconds(start));
        assertThat(seen).containsExactlyInAnyOrder("master-1", "master-2", "master-3");
        eventually(SETTLE, "the third master sees the same 4-node ring", () -> ringsAgree(4, 3));
    }

    @Test
    @Order(6)
    void prometheus_scrapesEveryMasterAndAuxNodeAndHasTheAlertRules() throws Exception {
        long start = System.nanoTime();
        Map<String, Integer> expected = Map.of("master", healthy("master"), "aux", healthy("aux"));
        Map<String, Integer> up = new TreeMap<>();
        eventually(Duration.ofSeconds(90), "Prometheus has every master and aux target up " + expected, () -> {
            up.clear();
            JsonNode targets = Api.parse(new Api(prometheus).getRaw("/api/v1/targets?state=active").body());
            for (JsonNode t : targets.path("data").path("activeTargets")) {
                if ("up".equals(t.path("health").asText())) {
                    up.merge(t.path("labels").path("job").asText(), 1, Integer::sum);
                }
            }
            return expected.entrySet().stream().allMatch(e -> up.getOrDefault(e.getKey(), 0).equals(e.getValue()));
        });
        metric("prometheus", "targets_up", up.toString().replace(" ", ""));
        metric("prometheus", "all_up_after_seconds", seconds(start));

        Repo repo = Repo.locate();
        Set<String> declared = new TreeSet<>();
        repo.yaml("prometheus/alerts.yml").path("groups").forEach(g -> g.path("rules").forEach(r -> declared.add(r.path("alert").asText())));
        Set<String> loaded = new TreeSet<>();
        JsonNode rules = Api.parse(new Api(prometheus).getRaw("/api/v1/rules?type=alert").body());
        rules.path("data").path("groups").forEach(g -> g.path("rules").forEach(r -> loaded.add(r.path("name").asText())));
        metric("prometheus", "alert_rules_loaded", loaded.size());
        assertThat(declared).as("alerts in prometheus/alerts.yml").isNotEmpty();
        assertThat(loaded).as("alert rules Prometheus loaded").isEqualTo(declared);
    }

    @Test
    @Order(7)
    void killedMaster_underLoad_requestsThroughNginxKeepSucceeding() throws Exception {
        List<Container> masters = stack.running("master");
        Container victim = masters.getLast();
        int threads = 2;
        long killReturned;
        WriteLoad load = new WriteLoad(api, "master-kill", threads, Duration.ofSeconds(60), 5_000).start();
        try {
            TimeUnit.SECONDS.sleep(3); // the load runs a while before the kill
            stack.kill(victim.getId());
            killReturned = System.nanoTime();
            TimeUnit.SECONDS.sleep(8); // the load goes on a while after the kill
        } finally {
            load.stop();
        }
        List<WriteLoad.Failure> failures = load.failures();
        List<WriteLoad.Failure> afterKill = failures.stream().filter(f -> f.atNanos() >= killReturned).toList();
        metric("master-kill", "victim", stack.inspect(victim.getId()).getName());
        metric("master-kill", "requests", load.writes() + load.reads());
        metric("master-kill", "requests_failed", failures.size());
        metric("master-kill", "requests_failed_started_after_kill", afterKill.size());
        metric("master-kill", "max_latency_ms", load.maxLatencyMillis());
        failures.stream().limit(10).forEach(f -> System.out.println("  master-kill failure: " + f));
        // A request that nginx had already sent to the master when it died may fail (nginx does
        // not resend a POST it sent); at most one per client thread can be in that state.
        assertThat(afterKill).as("requests started after the kill that failed").isEmpty();
        assertThat(failures.size()).as("requests in flight at the kill that failed").isLessThanOrEqualTo(threads);
        assertThat(unreadable(load.acked())).as("acknowledged writes unreadable").isEmpty();
        written.putAll(load.acked());
    }

    @Test
    @Order(8)
    void composeDownThenUp_bringsEveryKeyBackFromTheVolumes() throws Exception {
        stack.saveLogs();
        long start = System.nanoTime();
        stack.compose(CLI, "down");
        metric("down-up", "down_seconds", seconds(start));
        assertThat(stack.running("aux")).isEmpty();

        start = System.nanoTime();
        List<String> args = new ArrayList<>(List.of("up", "-d"));
        args.addAll(DEFAULT_SCALE.keySet());
        stack.compose(CLI, args.toArray(String[]::new));
        eventually(STARTUP, "every service healthy again", () -> DEFAULT_SCALE.entrySet().stream()
                .allMatch(e -> healthy(e.getKey()) == e.getValue()));
        metric("down-up", "up_to_healthy_seconds", seconds(start));
        eventually(SETTLE, "every master sees the same ring of 3 aux nodes", () -> ringsAgree(3, 2));
        long restored = 0;
        for (Container c : stack.running("aux")) {
            restored += (long) auxMetric(c.getId(), "dcache_snapshot_restored_entries");
        }
        metric("down-up", "entries_restored", restored);
        eventually(SETTLE, "every key written before the down readable again", () -> unreadable(written).isEmpty());
        metric("down-up", "keys_back", written.size());
        metric("down-up", "all_keys_back_after_seconds", seconds(start));
        assertThat(restored).as("records restored from the aux volumes").isPositive();
    }

    // --- checks ---------------------------------------------------------------------------------

    /** Keys that do not read back their value through nginx, with what was read instead. */
    private static Map<String, String> unreadable(Map<String, String> expected) throws IOException, InterruptedException {
        Map<String, String> bad = new TreeMap<>();
        List<String> keys = new ArrayList<>(expected.keySet());
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
            Api.Reply r = api.bulkGet(chunk);
            Map<String, String> got = r.ok() ? Api.values(r) : Map.of();
            for (String k : chunk) {
                if (!expected.get(k).equals(got.get(k))) {
                    bad.put(k, r.ok() ? String.valueOf(got.get(k)) : "bulk get answered " + r.status());
                }
            }
        }
        return bad;
    }

    /** True when {@code masters} masters each see {@code auxNodes} nodes up, all on one ring. */
    private static boolean ringsAgree(int auxNodes, int masters) throws IOException, InterruptedException {
        List<Container> running = stack.running("master");
        if (running.size() != masters) {
            return false;
        }
        Set<String> fingerprints = new HashSet<>();
        for (Container m : running) {
            JsonNode view = cluster(m.getId());
            long up = 0;
            for (JsonNode n : view.path("nodes")) {
                up += "up".equals(n.path("state").asText()) ? 1 : 0;
            }
            if (up != auxNodes || view.path("ring").size() != auxNodes) {
                return false;
            }
            fingerprints.add(view.path("fingerprint").asText());
        }
        return fingerprints.size() == 1;
    }

    private static boolean onNoRing(String auxId) throws IOException, InterruptedException {
        for (Container m : stack.running("master")) {
            for (JsonNode id : cluster(m.getId()).path("ring")) {
                if (auxId.equals(id.asText())) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean noRebalancing() throws IOException, InterruptedException {
        for (Container c : stack.running("aux")) {
            if (auxMetric(c.getId(), "dcache_rebalance_in_progress") != 0 || auxMetric(c.getId(), "dcache_rebalance_pending") != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Waits until the node's snapshot on disk holds everything it holds in memory: its record
     * count unchanged across a snapshot check that started after it was read. Returns that count.
     */
    private static long snapshotCurrent(String containerId) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            long before = (long) auxMetric(containerId, "dcache_cache_entries");
            double readAt = System.currentTimeMillis() / 1000.0;
            eventually(Duration.ofSeconds(30), "a snapshot check after " + readAt,
                    () -> auxMetric(containerId, "dcache_snapshot_last_success_time_seconds") > readAt);
            if ((long) auxMetric(containerId, "dcache_cache_entries") == before) {
                return before;
            }
        }
        throw new AssertionError("the node's record count kept changing");
    }

    private static int healthy(String service) {
        int n = 0;
        for (Container c : stack.running(service)) {
            n += "healthy".equals(stack.health(c.getId())) ? 1 : 0;
        }
        return n;
    }

    /** A master's own view, asked inside its container: /cluster is not published. */
    private static JsonNode cluster(String masterContainer) throws IOException, InterruptedException {
        var r = stack.exec(masterContainer, "curl", "-fsS", "--max-time", "2", "http://127.0.0.1:8000/cluster");
        JsonNode json = r.getExitCode() == 0 ? Api.parse(r.getStdout()) : null;
        return json == null ? Api.JSON.createObjectNode() : json;
    }

    /** One gauge of an aux node's /metrics, asked inside its container (NaN when absent). */
    private static double auxMetric(String auxContainer, String name) throws IOException, InterruptedException {
        var r = stack.exec(auxContainer, "curl", "-fsS", "--max-time", "2", "http://127.0.0.1:9000/metrics");
        Matcher m = METRIC_LINE.matcher(r.getStdout());
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }

    // --- plumbing -------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static void eventually(Duration within, String what, Check check) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Exception lastError = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (Exception e) {
                lastError = e;
            }
            TimeUnit.MILLISECONDS.sleep(500); // the poll interval of this bounded wait
        }
        throw new AssertionError(what + " did not happen within " + within.toSeconds() + " s", lastError);
    }

    private static void metric(String scenario, String name, Object value) {
        String shown = value instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : String.valueOf(value);
        System.out.println("METRIC scenario=compose-" + scenario + " " + name + "=" + shown);
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Integer> orderedMap(Object... pairs) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put((String) pairs[i], (Integer) pairs[i + 1]);
        }
        return out;
    }
}
