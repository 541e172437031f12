package dev.dcache.it;

import dev.dcache.aux.AuxMain;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Bounded failure: slow nodes, silent clients, overload, a flood of writes. */
class HardeningIT {
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private DelayProxy httpProxy;
    private DelayProxy binaryProxy;

    @AfterEach
    void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (httpProxy != null) {
            httpProxy.close();
            binaryProxy.close();
        }
    }

    /** 3 aux nodes; the masters reach aux-2 only through delay proxies. */
    private void startWithSlowAux2(Map<String, String> masterEnv) throws IOException {
        cluster = new TestCluster(clock);
        cluster.startAux("aux-1", Map.of());
        int binaryPort = freePort();
        binaryProxy = new DelayProxy(binaryPort); // connects upstream per accepted connection
        AuxMain aux2 = cluster.startAux("aux-2", Map.of("AUX_BINARY_PORT", Integer.toString(binaryPort),
                "AUX_ADVERTISED_BINARY_PORT", Integer.toString(binaryProxy.port())));
        httpProxy = new DelayProxy(aux2.port());
        cluster.startAux("aux-3", Map.of());
        String nodes = cluster.auxNodes().replace("aux-2@127.0.0.1:" + aux2.port(), "aux-2@127.0.0.1:" + httpProxy.port());
        Map<String, String> env = new java.util.HashMap<>(masterEnv);
        env.put("AUX_NODES", nodes);
        cluster.startMaster("master-1", env);
    }

    @Test
    void slowAux_readsAreBoundedByTheTimeout_andFailOverToTheReplica() throws IOException {
        // heartbeats go on (aux nodes serve reads only while they hear masters), but never eject aux-2
        startWithSlowAux2(Map.of("AUX_REQUEST_TIMEOUT_MS", "300", "HEALTH_INTERVAL_MS", "1000", "HEALTH_FAILURES", "100"));
        String m = cluster.masterUrl(0);
        HashRing ring = new HashRing(List.of("aux-1", "aux-2", "aux-3"), 256, HashFunction.FNV1A_MIX);
        List<String> onAux2 = new ArrayList<>();
        for (int i = 0; onAux2.size() < 100; i++) {
            if (ring.primary("slow-" + i).equals("aux-2")) {
                onAux2.add("slow-" + i);
            }
        }
        for (String k : onAux2) {
            assertThat(Http.postJson(m + "/data", Map.of("key", k, "value", "v-" + k)).status()).isEqualTo(200);
        }
        httpProxy.delay(1500);
        binaryProxy.delay(1500);

        List<Long> latencies = new ArrayList<>();
        for (String k : onAux2) {
            long t0 = System.nanoTime();
            Http.Reply r = Http.get(m + "/data/" + k);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            latencies.add(ms);
            assertThat(r.status()).as(k).isEqualTo(200);
            assertThat(r.json().path("value").asText()).isEqualTo("v-" + k);
            assertThat(ms).as("latency of " + k).isLessThan(300 + 1000);
        }
        Collections.sort(latencies);
        System.out.printf("slow aux (1500 ms, timeout 300 ms): GET latency p50=%d ms p99=%d ms max=%d ms over %d reads%n",
                latencies.get(49), latencies.get(98), latencies.get(99), latencies.size());
        // after the first timeout the node is suspect: the rest go to the replica first
        assertThat(latencies.get(49)).isLessThan(150);
    }

    @Test
    void overload_answers503WithRetryAfter_andRecovers() throws Exception {
        // The proxy delays each chunk aux-2 sends by 800 ms, one after the other on a connection.
        // The 4 writes admitted at once make up to 8 calls to aux-2 (ordering, then copy), plus the
        // connection's hello: 9 replies, up to 7.2 s behind one another. A request timeout above
        // that lets every admitted write finish; with less, timed-out tries pile up behind them and
        // writes reach their deadline (504). The client waits longer than the master's own bound.
        startWithSlowAux2(Map.of("MASTER_MAX_INFLIGHT", "4", "AUX_REQUEST_TIMEOUT_MS", "10000",
                "HEALTH_INTERVAL_MS", "1000", "HEALTH_FAILURES", "100"));
        String m = cluster.masterUrl(0);
        HashRing ring = new HashRing(List.of("aux-1", "aux-2", "aux-3"), 256, HashFunction.FNV1A_MIX);
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < 30; i++) {
            String k = "busy-" + i;
            if (ring.owners(k, 2).contains("aux-2")) {
                keys.add(k); // every write waits for slow aux-2
            }
        }
        httpProxy.delay(800);
        binaryProxy.delay(800);
        // HTTP/1.1: the JDK client otherwise tries an h2c upgrade first, and requests sent meanwhile wait for it
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
        List<String> retryAfter = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (String k : keys) {
                fs.add(pool.submit(() -> {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(m + "/data"))
                            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + k + "\",\"value\":\"x\"}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    statuses.add(r.statusCode());
                    r.headers().firstValue("Retry-After").ifPresent(retryAfter::add);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        // 503: refused at admission, the point of this test. An admitted write ends 200, or 504 when
        // aux-2's replies, 800 ms per chunk behind one another, kept it past its deadline while aux-2
        // (hearing the master late through the same slow proxy) went from serving to recovering:
        // the documented answer for a write whose outcome is unknown (docs/consistency.md)
        assertThat(statuses).isSubsetOf(200, 503, 504);
        assertThat(statuses).contains(503);
        assertThat(retryAfter).isNotEmpty();
        httpProxy.delay(0);
        binaryProxy.delay(0);
        assertThat(Http.postJson(m + "/data", Map.of("key", "after", "value", "ok")).status()).isEqualTo(200);
    }

    @Test
    void silentClient_isDisconnectedAfterTheIdleTimeout() throws Exception {
        cluster = new TestCluster(clock);
        cluster.startAux("aux-1", Map.of());
        cluster.startMaster("master-1", Map.of("MASTER_IDLE_TIMEOUT_MS", "500", "REPLICATION_FACTOR", "1"));
        try (Socket s = new Socket("127.0.0.1", cluster.masters().get(0).port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /data/k HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain whatever the server says before closing
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isBetween(300L, 5000L);
        }
    }

    @Test
    void floodOfWritesLargerThanTheCache_keepsEachNodeWithinItsBudget() {
        cluster = new TestCluster(clock);
        for (int i = 1; i <= 2; i++) {
            cluster.startAux("aux-" + i, Map.of("AUX_MAX_BYTES", Integer.toString(1 << 20), "AUX_SEGMENTS", "4"));
        }
        cluster.startMaster("master-1", Map.of());
        String value = "v".repeat(10_000);
        for (int i = 0; i < 600; i++) { // ~6 MB, six times each node's budget
            assertThat(Http.postJson(cluster.masterUrl(0) + "/data", Map.of("key", "flood-" + i, "value", value)).status())
                    .isEqualTo(200);
        }
        for (AuxMain a : cluster.aux()) {
            assertThat(a.cache().bytes()).isLessThanOrEqualTo(1 << 20);
            assertThat(a.cache().stats().evictions()).isGreaterThan(0);
        }
        assertThat(Http.get(cluster.masterUrl(0) + "/data/flood-599").status()).isEqualTo(200);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
