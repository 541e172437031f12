package dev.dcache.system;

import dev.dcache.common.concurrent.Await;
import dev.dcache.system.Http.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole product as a user meets it: {@code bin/cluster up} launches aux nodes, masters and
 * nginx from the packaged jars, and every request goes through nginx, the cluster's only public
 * entry. Runs with {@code bin/test} ({@code mvn verify -Psystem}); needs nginx installed and
 * the aux and master jars packaged earlier in the same reactor.
 *
 * <p>One cluster for the whole class ({@link LaunchedCluster}: a private RUN_DIR, free ports);
 * the nodes' logs are printed only when something failed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterSystemTest {
    private static final int ONE_MIB = 1024 * 1024;

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private static final Http http = new Http();
    private static LaunchedCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CLUSTERS.forClass(LaunchedCluster.Layout.of(3, 2, 2));
        new ClusterProbe(cluster, http).awaitReady();
    }

    @ParameterizedTest(name = "key \"{0}\"")
    @ValueSource(strings = {"a/b", "a?b", "100%", "a#b", "with space", "ключ", "emoji😀", "..", "a%2Fb",
            "plain-key"})
    void putGetDelete_oddKey_roundTripsThroughNginx(String key) throws Exception {
        String value = "value of " + key;

        Response put = post("/data", Map.of("key", key, "value", value));
        assertThat(put.status()).as("POST %s", put).isEqualTo(200);
        assertThat(put.json().path("key").asText()).as("POST %s", put).isEqualTo(key);

        Response got = send("GET", dataPath(key), null);
        assertThat(got.status()).as("GET %s", got).isEqualTo(200);
        assertThat(got.json().path("key").asText()).isEqualTo(key);
        assertThat(got.json().path("value").asText()).isEqualTo(value);
        assertThat(got.json().has("ttl")).as("no ttl was set: %s", got).isFalse();

        Response deleted = send("DELETE", dataPath(key), null);
        assertThat(deleted.status()).as("DELETE %s", deleted).isEqualTo(200);

        assertJsonError(send("GET", dataPath(key), null), 404);
        assertJsonError(send("DELETE", dataPath(key), null), 404);
    }

    @Test
    void get_keyWithTtl_reportsRemainingSeconds() throws Exception {
        Response put = post("/data", Map.of("key", "ttl-30", "value", "v", "ttl", 30));
        assertThat(put.status()).as("POST %s", put).isEqualTo(200);

        Response got = send("GET", dataPath("ttl-30"), null);
        assertThat(got.status()).as("GET %s", got).isEqualTo(200);
        assertThat(got.json().path("ttl").isIntegralNumber()).as("ttl in %s", got).isTrue();
        assertThat(got.json().path("ttl").asLong()).isBetween(1L, 30L);
    }

    @Test
    void get_afterTtlExpired_returns404() throws Exception {
        Response put = post("/data", Map.of("key", "ttl-1", "value", "short-lived", "ttl", 1));
        assertThat(put.status()).as("POST %s", put).isEqualTo(200);

        // a real cluster on a real clock: poll, bounded well past the one second
        AtomicReference<Response> got = new AtomicReference<>();
        Await.within(Duration.ofSeconds(6), Duration.ofMillis(250), () -> {
            got.set(Http.unchecked(() -> send("GET", dataPath("ttl-1"), null)));
            return got.get().status() != 200;
        });
        assertJsonError(got.get(), 404);
    }

    @ParameterizedTest(name = "body [{0}]")
    @ValueSource(strings = {"{\"key\":", "not json", "[1, 2", "{\"key\":\"k\",\"value\":\"v\"", ""})
    void post_malformedJson_returns400JsonError(String body) throws Exception {
        assertJsonError(send("POST", "/data", body), 400);
    }

    @Test
    void post_missingKey_returns400JsonError() throws Exception {
        assertJsonError(post("/data", Map.of("value", "v")), 400);
    }

    @ParameterizedTest(name = "body {0}")
    @ValueSource(strings = {"{\"key\":\"k\",\"value\":\"v\",\"ttl\":0}", "{\"key\":\"k\",\"value\":\"v\",\"ttl\":-5}",
            "{\"key\":\"k\",\"value\":\"v\",\"ttl\":\"soon\"}", "{\"key\":\"\",\"value\":\"v\"}",
            "{\"key\":\"k\"}", "[{\"key\":\"k\",\"value\":\"v\"}]", "{\"key\":7,\"value\":\"v\"}"})
    void post_invalidEntry_returnsClientErrorNever5xx(String body) throws Exception {
        Response r = send("POST", "/data", body);
        assertThat(r.status()).as("POST %s -> %s", body, r).isBetween(400, 499);
        assertThat(r.json().path("error").isTextual()).as("error body of %s", r).isTrue();
    }

    @Test
    void post_valueOneByteOverOneMiB_returns413JsonError() throws Exception {
        assertJsonError(post("/data", Map.of("key", "too-big", "value", "x".repeat(ONE_MIB + 1))), 413);
        assertJsonError(send("GET", dataPath("too-big"), null), 404);
    }

    @Test
    void post_valueOfExactlyOneMiB_roundTrips() throws Exception {
        String value = "y".repeat(ONE_MIB);
        Response put = post("/data", Map.of("key", "one-mib", "value", value));
        assertThat(put.status()).as("POST %s", put).isEqualTo(200);

        Response got = send("GET", dataPath("one-mib"), null);
        assertThat(got.status()).as("GET %s", got).isEqualTo(200);
        assertThat(got.json().path("value").asText()).hasSize(ONE_MIB).isEqualTo(value);
        assertThat(send("DELETE", dataPath("one-mib"), null).status()).isEqualTo(200);
    }

    @Test
    void bulk_put200Keys_bulkGetReturnsThemAndNamesTheMissing() throws Exception {
        List<Map<String, Object>> entries = new ArrayList<>();
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String key = "bulk/" + i + (i % 7 == 0 ? " ключ" : "");
            String value = "bulk value " + i;
            entries.add(i % 10 == 0 ? Map.of("key", key, "value", value, "ttl", 300) : Map.of("key", key, "value", value));
            expected.put(key, value);
        }
        Response put = post("/data/bulk", entries);
        assertThat(put.status()).as("POST /data/bulk %s", put).isEqualTo(200);
        assertThat(put.json().path("stored").asInt()).isEqualTo(200);

        List<String> keys = new ArrayList<>(expected.keySet());
        keys.add("bulk/missing-1");
        keys.add("bulk/missing-2");
        Response got = post("/data/bulk/get", keys);
        assertThat(got.status()).as("POST /data/bulk/get %s", got).isEqualTo(200);
        Map<String, String> values = new HashMap<>();
        got.json().path("values").properties().forEach(e -> values.put(e.getKey(), e.getValue().asText()));
        assertThat(values).isEqualTo(expected);
        List<String> missing = new ArrayList<>();
        got.json().path("missing").forEach(k -> missing.add(k.asText()));
        assertThat(missing).containsExactlyInAnyOrder("bulk/missing-1", "bulk/missing-2");

        Response one = send("GET", dataPath("bulk/0 ключ"), null);
        assertThat(one.status()).as("GET %s", one).isEqualTo(200);
        assertThat(one.json().path("value").asText()).isEqualTo("bulk value 0");
    }

    @ParameterizedTest(name = "GET {0}")
    @ValueSource(strings = {"/internal/entry?key=x", "/internal/batch/get", "/admin", "/metrics", "/cluster",
            "/no-such-route", "/data/..", "/data/%2E%2E/metrics", "/data/x/../../metrics"})
    void privateOrUnknownRoute_throughNginx_returns404Json(String path) throws Exception {
        assertJsonError(send("GET", path, null), 404);
    }

    @Test
    @Order(Integer.MAX_VALUE - 1)
    void killedMaster_requestsThroughNginx_stillSucceed() throws Exception {
        cluster.runOk("kill", "master-1");
        try {
            // round-robin sends every other request to the dead master first: a refused connect
            // is retried on the next master, a POST included, since nothing was sent yet
            for (int i = 0; i < 10; i++) {
                String key = "failover-" + i;
                Response put = post("/data", Map.of("key", key, "value", "v" + i));
                assertThat(put.status()).as("POST %s", put).isEqualTo(200);
                Response got = send("GET", dataPath(key), null);
                assertThat(got.status()).as("GET %s", got).isEqualTo(200);
                assertThat(send("DELETE", dataPath(key), null).status()).isEqualTo(200);
            }
        } finally {
            cluster.runOk("start", "master-1");
        }
        assertThat(send("GET", "/health", null).status()).isEqualTo(200);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void status_afterAllTraffic_reportsEveryNodeHealthy() throws Exception {
        cluster.runOk("status");
    }

    // ---------------------------------------------------------------------------------------

    private static String dataPath(String key) {
        return Http.dataPath(key);
    }

    private static Response post(String path, Object body) throws Exception {
        return http.post(cluster.api() + path, body);
    }

    private static Response send(String method, String path, String body) throws Exception {
        return http.send(method, cluster.api() + path, body);
    }

    private static void assertJsonError(Response r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.contentType()).as("content type of %s", r).startsWith("application/json");
        assertThat(r.json().path("error").isTextual()).as("error message in %s", r).isTrue();
    }
}
