package dev.dcache.it;

import dev.dcache.common.concurrent.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three masters with the near cache on, real clock. A write through master A is read back through
 * A at once; through B, which takes A's pushed invalidations, long before B's 30 s bound; through
 * C, which takes no pushes, no later than C's 1 s bound (each plus a margin for a loaded machine).
 * C doubles as the control: it keeps serving its copy until its bound, so B's answer can only come
 * from the push.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NearCacheIT {
    private static final long BOUND_MS = 1000;
    private static final long PUSHED_BOUND_MS = 30_000;
    private static final long MARGIN_MS = 3000; // scheduling noise on a busy 2-core machine
    /** Fine polling: the tests measure how soon a master answers the new value. */
    private static final Duration POLL = Duration.ofMillis(20);

    private TestCluster cluster;
    private String a;
    private String b;
    private String c;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestCluster(InstantSource.system());
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        Map<String, String> pushed = Map.of("NEAR_CACHE_ENABLED", "true",
                "NEAR_CACHE_MAX_STALENESS_MS", Long.toString(PUSHED_BOUND_MS), "NEAR_CACHE_HOT_THRESHOLD", "2");
        Map<String, String> bounded = Map.of("NEAR_CACHE_ENABLED", "true", "NEAR_CACHE_PUSH", "false",
                "NEAR_CACHE_MAX_STALENESS_MS", Long.toString(BOUND_MS), "NEAR_CACHE_HOT_THRESHOLD", "2");
        cluster.startMaster("master-1", pushed);
        cluster.startMaster("master-2", pushed);
        cluster.startMaster("master-3", bounded);
        a = cluster.masterUrl(0);
        b = cluster.masterUrl(1);
        c = cluster.masterUrl(2);
        // A and B find each other through the aux nodes' heartbeat replies; C asked for no pushes
        Await.until(Duration.ofSeconds(20), () -> metric(a, "dcache_nearcache_push_peers") == 1
                && metric(b, "dcache_nearcache_push_peers") == 1);
        assertThat(metric(a, "dcache_nearcache_push_peers")).isEqualTo(1);
        assertThat(metric(b, "dcache_nearcache_push_peers")).isEqualTo(1);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private static String value(String master, String key) {
        Http.Reply r = Http.get(master + "/data/" + key);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("value").asText();
    }

    /** Reads the key through both masters until it is hot and held by each. */
    private static void makeHot(String key, String expected, String... masters) {
        for (String m : masters) {
            for (int i = 0; i < 4; i++) {
                assertThat(value(m, key)).isEqualTo(expected);
            }
        }
    }

    private static double metric(String master, String name) {
        return metric(master, name, "");
    }

    /** The sum of {@code name}'s series whose labels contain {@code label} (e.g. {@code outcome="sent"}). */
    private static double metric(String master, String name, String label) {
        String labels = label.isEmpty() ? "(\\{[^}]*})?" : "\\{[^}]*" + Pattern.quote(label) + "[^}]*}";
        Matcher m = Pattern.compile("(?m)^" + name + labels + " ([0-9.eE+-]+)$").matcher(Http.get(master + "/metrics").body());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            sum += Double.parseDouble(m.group(m.groupCount()));
        }
        assertThat(found).as("metric %s exported", name).isTrue();
        return sum;
    }

    /** Reads {@code key} through {@code master} until it answers {@code expected} or {@code withinMs} pass; returns ms taken. */
    private static long awaitValue(String master, String key, String expected, long since, long withinMs) {
        String[] seen = {null};
        Await.until(left(since, withinMs), POLL, () -> master + " answering " + key + "=" + expected + " (last: " + seen[0] + ")",
                () -> (seen[0] = value(master, key)).equals(expected));
        long tookMs = (System.nanoTime() - since) / 1_000_000;
        assertThat(seen[0]).as("%s after %d ms", master, tookMs).isEqualTo(expected);
        return tookMs;
    }

    /** What is left of {@code withinMs} since {@code since} (negative once it has passed: one more look). */
    private static Duration left(long since, long withinMs) {
        return Duration.ofNanos(since + withinMs * 1_000_000 - System.nanoTime());
    }

    @Test
    void writeThroughA_isReadAtOnceThroughA_byPushThroughB_andWithinTheBoundThroughC() throws Exception {
        String key = "hot-greeting";
        assertThat(Http.postJson(a + "/data", Map.of("key", key, "value", "v1")).status()).isEqualTo(200);
        makeHot(key, "v1", a, b, c);
        assertThat(metric(b, "dcache_nearcache_hits_total")).as("B answers from its near cache").isPositive();
        assertThat(metric(c, "dcache_nearcache_hits_total")).as("C answers from its near cache").isPositive();
        double pushedBefore = metric(b, "dcache_nearcache_push_received_total");

        assertThat(Http.postJson(a + "/data", Map.of("key", key, "value", "v2")).status()).isEqualTo(200);
        long written = System.nanoTime();
        assertThat(value(a, key)).as("read-your-writes through the same master").isEqualTo("v2");
        assertThat(metric(a, "dcache_nearcache_invalidations_total")).isPositive();

        long viaPush = awaitValue(b, key, "v2", written, MARGIN_MS);
        assertThat(metric(b, "dcache_nearcache_push_received_total")).isGreaterThan(pushedBefore);
        assertThat(metric(a, "dcache_nearcache_push_keys_total", "outcome=\"sent\"")).isPositive();
        assertThat(viaPush).as("B's own bound is %d ms", PUSHED_BOUND_MS).isLessThan(PUSHED_BOUND_MS);
        long viaBound = awaitValue(c, key, "v2", written, BOUND_MS + MARGIN_MS);
        assertThat(viaBound).isLessThanOrEqualTo(BOUND_MS + MARGIN_MS);
    }

    @Test
    void deleteThroughA_isAbsentAtOnceThroughA_byPushThroughB_andWithinTheBoundThroughC() throws Exception {
        String key = "hot-doomed";
        Http.postJson(a + "/data", Map.of("key", key, "value", "x"));
        makeHot(key, "x", a, b, c);
        assertThat(Http.delete(a + "/data/" + key).status()).isEqualTo(200);
        long deleted = System.nanoTime();
        assertThat(Http.get(a + "/data/" + key).status()).isEqualTo(404);
        assertThat(awaitStatus(b, key, 404, deleted, MARGIN_MS)).isEqualTo(404);
        assertThat(awaitStatus(c, key, 404, deleted, BOUND_MS + MARGIN_MS)).isEqualTo(404);
    }

    private static int awaitStatus(String master, String key, int expected, long since, long withinMs) {
        int[] status = {0};
        Await.within(left(since, withinMs), POLL, () -> (status[0] = Http.get(master + "/data/" + key).status()) == expected);
        return status[0];
    }

    @Test
    void aPushFromAStreamBNeverSaw_makesBDropItsWholeNearCache() {
        String key = "hot-held";
        Http.postJson(a + "/data", Map.of("key", key, "value", "kept"));
        for (int tries = 0; tries < 5 && metric(b, "dcache_nearcache_entries") == 0; tries++) {
            makeHot(key, "kept", b); // again if a drop of A's stream came in between
        }
        assertThat(metric(b, "dcache_nearcache_entries")).isPositive();
        double flushes = metric(b, "dcache_nearcache_push_flushes_total");

        // as a master that wrote keys before it knew of B would push: B cannot tell what it missed
        Http.Reply r = Http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(b + dev.dcache.common.wire.InternalPaths.INVALIDATE))
                .header("Content-Type", "application/json").header("X-Cluster-Token", TestCluster.TOKEN)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"from\":\"master-9\",\"epoch\":42,\"seq\":17,\"keys\":[]}")));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(metric(b, "dcache_nearcache_push_flushes_total")).isGreaterThanOrEqualTo(flushes + 1);
        // whatever B held before the push is gone; only a read since could have put a copy back, and none ran
        assertThat(metric(b, "dcache_nearcache_entries")).isZero();
    }

    @Test
    void thePushEndpoint_wantsTheClusterToken_andRejectsABadBody() {
        String url = a + dev.dcache.common.wire.InternalPaths.INVALIDATE;
        Http.Reply noToken = Http.postJson(url, Map.of("from", "x", "keys", java.util.List.of("k")));
        assertThat(noToken.status()).isIn(401, 403);
        Http.Reply bad = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", "application/json").header("X-Cluster-Token", TestCluster.TOKEN)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"from\":\"x\",\"epoch\":1,\"seq\":1,\"keys\":[null]}")));
        assertThat(bad.status()).as(bad.body()).isEqualTo(400);
        assertThat(bad.json().path("error").asText()).contains("keys");
    }

    @Test
    void scanOfColdKeys_isNotCached() {
        double before = metric(a, "dcache_nearcache_entries");
        assertThat(metric(a, "dcache_reads_coalesced_total")).isNotNegative();
        for (int i = 0; i < 200; i++) {
            String key = "cold-" + i;
            Http.postJson(a + "/data", Map.of("key", key, "value", "v"));
            assertThat(value(a, key)).isEqualTo("v");
        }
        assertThat(metric(a, "dcache_nearcache_entries")).isLessThanOrEqualTo(before);
    }
}
