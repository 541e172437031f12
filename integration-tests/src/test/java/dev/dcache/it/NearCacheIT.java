package dev.dcache.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.InstantSource;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two masters with the near cache on, real clock: a write through master A is read back through A
 * at once, and through B no later than the staleness bound (plus a margin for a loaded machine).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NearCacheIT {
    private static final long BOUND_MS = 1000;
    private static final long MARGIN_MS = 3000; // scheduling noise on a busy 2-core machine

    private TestCluster cluster;
    private String a;
    private String b;

    @BeforeAll
    void start() {
        cluster = new TestCluster(InstantSource.system());
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        Map<String, String> near = Map.of("NEAR_CACHE_ENABLED", "true",
                "NEAR_CACHE_MAX_STALENESS_MS", Long.toString(BOUND_MS), "NEAR_CACHE_HOT_THRESHOLD", "2");
        cluster.startMaster("master-1", near);
        cluster.startMaster("master-2", near);
        a = cluster.masterUrl(0);
        b = cluster.masterUrl(1);
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
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(Http.get(master + "/metrics").body());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            sum += Double.parseDouble(m.group(2));
        }
        assertThat(found).as("metric %s exported", name).isTrue();
        return sum;
    }

    @Test
    void writeThroughA_isReadAtOnceThroughA_andWithinTheBoundThroughB() throws Exception {
        String key = "hot-greeting";
        assertThat(Http.postJson(a + "/data", Map.of("key", key, "value", "v1")).status()).isEqualTo(200);
        makeHot(key, "v1", a, b);
        assertThat(metric(b, "dcache_nearcache_hits_total")).as("B answers from its near cache").isPositive();

        assertThat(Http.postJson(a + "/data", Map.of("key", key, "value", "v2")).status()).isEqualTo(200);
        long written = System.nanoTime();
        assertThat(value(a, key)).as("read-your-writes through the same master").isEqualTo("v2");
        assertThat(metric(a, "dcache_nearcache_invalidations_total")).isPositive();

        long deadline = written + (BOUND_MS + MARGIN_MS) * 1_000_000;
        String seen = value(b, key);
        while (!seen.equals("v2") && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = value(b, key);
        }
        long tookMs = (System.nanoTime() - written) / 1_000_000;
        assertThat(seen).as("B after %d ms", tookMs).isEqualTo("v2");
        assertThat(tookMs).isLessThanOrEqualTo(BOUND_MS + MARGIN_MS);
    }

    @Test
    void deleteThroughA_isAbsentAtOnceThroughA_andWithinTheBoundThroughB() throws Exception {
        String key = "hot-doomed";
        Http.postJson(a + "/data", Map.of("key", key, "value", "x"));
        makeHot(key, "x", a, b);
        assertThat(Http.delete(a + "/data/" + key).status()).isEqualTo(200);
        long deleted = System.nanoTime();
        assertThat(Http.get(a + "/data/" + key).status()).isEqualTo(404);

        long deadline = deleted + (BOUND_MS + MARGIN_MS) * 1_000_000;
        int status = Http.get(b + "/data/" + key).status();
        while (status != 404 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = Http.get(b + "/data/" + key).status();
        }
        assertThat(status).isEqualTo(404);
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
