package dev.dcache.it;

import dev.dcache.aux.AuxMain;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.time.FakeClock;
import dev.dcache.master.MasterMain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API against its OpenAPI 3.1 document (master/src/main/resources/openapi.json, served
 * at GET /openapi.json): the served document must parse cleanly, every documented route is driven
 * into every documented status on a real cluster, and each answer is validated against it. Fails on
 * an answer the document does not allow, or a documented one never seen: change both together.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiContractIT {
    /** Small limits keep the 413s cheap. */
    private static final int MAX_VALUE_BYTES = 1024;
    private static final int MAX_BULK_ITEMS = 10;
    private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");
    /** Not UTF-8: read as JSON, it comes back in base64. */
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, (byte) 0xff};

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private TestCluster cluster;
    private ApiContract contract;
    private String base;

    @BeforeAll
    void start() {
        cluster = new TestCluster(new FakeClock(System.currentTimeMillis()));
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        cluster.startMaster("master-1", Map.of("MAX_VALUE_BYTES", Integer.toString(MAX_VALUE_BYTES),
                "MAX_BODY_BYTES", Integer.toString(MAX_VALUE_BYTES + 4096),
                "MAX_BULK_ITEMS", Integer.toString(MAX_BULK_ITEMS)));
        base = cluster.masterUrl(0);
        ApiContract.Answer served = send(base, "GET", "/openapi.json", Map.of(), null);
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.header("Content-Type")).startsWith("application/json");
        String document = served.text();
        assertThat(ApiContract.problems(document)).as("what the parser finds wrong with the served document").isEmpty();
        assertThat(document).isEqualTo(ApiContractTest.document());
        contract = new ApiContract(document);
        assertThat(contract.openapiVersion()).startsWith("3.1.");
        assertThat(contract.check("GET", "/openapi.json", served)).isEmpty();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void meta_everyStatus_asDocumented() {
        exchange(200, "GET", "/health");
        exchange(405, "POST", "/health", JSON, "{}");
        exchange(405, "POST", "/openapi.json", JSON, "{}");
    }

    @Test
    @Order(2)
    void writes_everyStatus_asDocumented() {
        ApiContract.Answer written = exchange(200, "POST", "/data", JSON,
                "{\"key\":\"doc\",\"value\":{\"n\":1.10,\"big\":123456789012345678901234567890,\"list\":[true,\"x\"]},\"ttl\":600}");
        assertThat(written.header("ETag")).isEqualTo("\"" + json(written).path("version").asLong() + "\"");
        exchange(200, "POST", "/data", Map.of("Content-Type", "application/json", "X-Request-Id", "req-1"),
                "{\"key\":\"greeting\",\"value\":\"hello\"}");
        exchange(200, "PUT", "/data/logo", Map.of("Content-Type", "image/png"), PNG);
        exchange(200, "PUT", "/data/note?ttl=600", Map.of("Content-Type", "text/plain"), "plain text");
        exchange(200, "PUT", "/data/untyped", Map.of(), "bytes without a type");
        exchange(200, "PUT", "/data/empty", Map.of("Content-Type", "text/plain"), "");

        exchange(400, "POST", "/data", JSON, "{\"key\":\"a\",\"value\":");
        exchange(400, "POST", "/data", JSON, "{\"key\":\"a\",\"value\":null}");
        exchange(400, "POST", "/data", Map.of("Content-Type", "application/json", "If-Match", "\"1\""),
                "{\"key\":\"a\",\"value\":1}");
        exchange(400, "PUT", "/data/a?ttl=0", Map.of("Content-Type", "text/plain"), "x");
        exchange(400, "PUT", "/data/a", Map.of("Content-Type", "text/plain", "If-None-Match", "*"), "x");
        exchange(413, "POST", "/data", JSON, "{\"key\":\"big\",\"value\":\"" + "v".repeat(MAX_VALUE_BYTES + 1) + "\"}");
        exchange(413, "PUT", "/data/big", Map.of("Content-Type", "application/octet-stream"),
                "v".repeat(MAX_VALUE_BYTES + 1));
        exchange(415, "POST", "/data", Map.of("Content-Type", "text/plain"), "{\"key\":\"a\",\"value\":1}");

        for (String method : List.of("GET", "PUT", "DELETE")) {
            exchange(405, method, "/data");
        }
        exchange(405, "POST", "/data/doc", JSON, "{}");
        exchange(405, "PATCH", "/data/doc", JSON, "{}");
    }

    @Test
    @Order(3)
    void reads_everyStatus_asDocumented() {
        ApiContract.Answer envelope = exchange(200, "GET", "/data/doc");
        assertThat(envelope.text()).contains("\"n\":1.10");
        String etag = envelope.header("ETag");
        exchange(200, "GET", "/data/doc", Map.of("Accept", "application/json"));
        ApiContract.Answer text = exchange(200, "GET", "/data/greeting", Map.of("Accept", "text/plain"));
        assertThat(text.text()).isEqualTo("hello");
        ApiContract.Answer raw = exchange(200, "GET", "/data/logo", Map.of("Accept", "image/png"));
        assertThat(raw.body()).isEqualTo(PNG);
        assertThat(json(exchange(200, "GET", "/data/logo")).path("encoding").asText()).isEqualTo("base64");
        assertThat(json(exchange(200, "GET", "/data/note")).path("encoding").asText()).isEqualTo("utf-8");
        exchange(200, "GET", "/data/note", Map.of("Accept", "text/*"));
        exchange(304, "GET", "/data/doc", Map.of("If-None-Match", etag));
        exchange(304, "GET", "/data/logo", Map.of("If-None-Match", "*"));
        exchange(400, "GET", "/data/" + "k".repeat(251));
        exchange(404, "GET", "/data/absent");
        exchange(406, "GET", "/data/doc", Map.of("Accept", "application/xml"));

        exchange(200, "HEAD", "/data/doc");
        exchange(200, "HEAD", "/data/logo", Map.of("Accept", "image/png"));
        exchange(304, "HEAD", "/data/doc", Map.of("If-None-Match", "W/" + etag));
        exchange(400, "HEAD", "/data/" + "k".repeat(251));
        exchange(404, "HEAD", "/data/absent");
        exchange(406, "HEAD", "/data/logo", Map.of("Accept", "text/html"));
    }

    @Test
    @Order(4)
    void deletes_everyStatus_asDocumented() {
        exchange(200, "DELETE", "/data/untyped");
        exchange(404, "DELETE", "/data/untyped");
        exchange(400, "DELETE", "/data/doc", Map.of("If-Match", "\"1\""));
        exchange(400, "DELETE", "/data/doc", Map.of("X-Request-Id", "not an id"));
    }

    @Test
    @Order(5)
    void bulk_everyStatus_asDocumented() {
        exchange(200, "POST", "/data/bulk", JSON,
                "[{\"key\":\"b1\",\"value\":[1,2]},{\"key\":\"b2\",\"value\":\"two\",\"ttl\":60},{\"key\":\"b3\",\"value\":false}]");
        exchange(400, "POST", "/data/bulk", JSON, "{\"key\":\"b1\",\"value\":1}");
        exchange(413, "POST", "/data/bulk", JSON, "[" + String.join(",", java.util.Collections.nCopies(
                MAX_BULK_ITEMS + 1, "{\"key\":\"b\",\"value\":1}")) + "]");
        exchange(415, "POST", "/data/bulk", Map.of("Content-Type", "text/csv"), "b1,1");

        ApiContract.Answer got = exchange(200, "POST", "/data/bulk/get", JSON, "[\"b1\",\"b2\",\"logo\",\"note\",\"absent\"]");
        assertThat(json(got).path("raw").has("logo")).isTrue();
        assertThat(json(got).path("missing").toString()).isEqualTo("[\"absent\"]");
        exchange(200, "POST", "/data/bulk/get", JSON, "[\"b1\"]"); // no raw value: no "raw"
        exchange(400, "POST", "/data/bulk/get", JSON, "[1]");
        exchange(413, "POST", "/data/bulk/get", JSON, "[" + String.join(",", java.util.Collections.nCopies(
                MAX_BULK_ITEMS + 1, "\"b1\"")) + "]");
        exchange(415, "POST", "/data/bulk/get", Map.of("Content-Type", "text/plain"), "[\"b1\"]");
    }

    /** Every aux node stopped: no owner is reachable, and every data route answers 503 with Retry-After. */
    @Test
    @Order(6)
    void noOwnerReachable_everyDataRoute_503() {
        MasterMain master = cluster.masters().get(0);
        cluster.aux().forEach(AuxMain::close);
        Await.until(Duration.ofSeconds(10), "the master drops every stopped aux node from its ring",
                () -> master.membership().view().ring().isEmpty());
        exchange(503, "POST", "/data", JSON, "{\"key\":\"k\",\"value\":1}");
        exchange(503, "PUT", "/data/k", Map.of("Content-Type", "text/plain"), "x");
        exchange(503, "GET", "/data/doc");
        exchange(503, "HEAD", "/data/doc");
        exchange(503, "DELETE", "/data/doc");
        exchange(503, "POST", "/data/bulk", JSON, "[{\"key\":\"k\",\"value\":1}]");
        exchange(503, "POST", "/data/bulk/get", JSON, "[\"doc\"]");
        exchange(200, "GET", "/health");
    }

    /**
     * The only owner answers late, through a {@link DelayProxy}: writes it took but never
     * acknowledged end 504; while one of them holds the master's only request slot, the master
     * refuses the next request with 503 (its admission limit), {@code /openapi.json} included.
     */
    @Test
    @Order(7)
    void slowOwner_writes_504_andAFullMaster_503() throws Exception {
        int binaryPort = freePort();
        try (TestCluster slow = new TestCluster(new FakeClock(System.currentTimeMillis()));
             DelayProxy binary = new DelayProxy(binaryPort)) {
            slow.startAux("aux-1", Map.of("AUX_BINARY_PORT", Integer.toString(binaryPort),
                    "AUX_ADVERTISED_BINARY_PORT", Integer.toString(binary.port())));
            slow.startMaster("master-1", Map.of("REPLICATION_FACTOR", "1", "MASTER_MAX_INFLIGHT", "1",
                    "AUX_REQUEST_TIMEOUT_MS", "300", "AUX_KEY_TIMEOUT_MS", "300", "WRITE_TIMEOUT_MS", "1500",
                    "HEALTH_FAILURES", "100"));
            String url = slow.masterUrl(0);
            binary.delay(5_000);
            ApiContract.Answer late = null;
            for (int attempt = 0; attempt < 5 && late == null; attempt++) {
                ApiContract.Answer answer = writeWhileTheMasterIsFull(url, "late-" + attempt);
                late = answer.status() == 503 ? null : answer; // 503: a poll took the slot first; again
            }
            assertThat(late).as("a write admitted in 5 tries").isNotNull();
            assertThat(late.status()).as(late.text()).isEqualTo(504);
            assertThat(contract.check("POST", "/data", late)).isEmpty();
            // other keys: a late write may still be retried in the background, and a write of its key waits
            assertThat(checked(url, "PUT", "/data/late-put", Map.of("Content-Type", "text/plain"), bytes("x")).status())
                    .isEqualTo(504);
            assertThat(checked(url, "DELETE", "/data/late-delete", Map.of(), null).status()).isEqualTo(504);
        }
    }

    /**
     * Sends a write to {@code url}, a master with one request slot, and reads {@code /openapi.json}
     * until the master refuses it (503) while the write holds the slot, or the write has ended.
     */
    private ApiContract.Answer writeWhileTheMasterIsFull(String url, String key) throws Exception {
        CompletableFuture<ApiContract.Answer> write = CompletableFuture.supplyAsync(
                () -> send(url, "POST", "/data", JSON, bytes("{\"key\":\"" + key + "\",\"value\":1}")));
        Await.until(Duration.ofSeconds(10), Duration.ofMillis(10), () -> "a 503 while the write holds the slot",
                () -> write.isDone() || checked(url, "GET", "/openapi.json", Map.of(), null).status() == 503);
        return write.get();
    }

    @Test
    @Order(8)
    void everyDocumentedAnswer_wasExercised() {
        assertThat(contract.unexercised()).as("documented (method, path, status) never seen").isEmpty();
    }

    private ApiContract.Answer exchange(int status, String method, String path) {
        return exchange(status, method, path, Map.of());
    }

    private ApiContract.Answer exchange(int status, String method, String path, Map<String, String> headers) {
        return exchange(status, method, path, headers, (byte[]) null);
    }

    private ApiContract.Answer exchange(int status, String method, String path, Map<String, String> headers,
                                        String body) {
        return exchange(status, method, path, headers, bytes(body));
    }

    /**
     * Sends a request to the cluster's master, checks the answer against the document, and its
     * status; a request the master serves (2xx, 304) must be one the document allows too.
     */
    private ApiContract.Answer exchange(int status, String method, String path, Map<String, String> headers,
                                        byte[] body) {
        ApiContract.Answer answer = checked(base, method, path, headers, body);
        assertThat(answer.status()).as(method + " " + path + ": " + answer.text()).isEqualTo(status);
        if (status < 300 || status == 304) {
            assertThat(contract.checkRequest(method, path, headers, body)).as("the request " + method + " " + path)
                    .isEmpty();
        }
        return answer;
    }

    /** Sends a request and checks the answer against the document, whatever its status. */
    private ApiContract.Answer checked(String url, String method, String path, Map<String, String> headers,
                                       byte[] body) {
        ApiContract.Answer answer = send(url, method, path, headers, body);
        int q = path.indexOf('?');
        assertThat(contract.check(method, q < 0 ? path : path.substring(0, q), answer))
                .as(method + " " + path + " answered " + answer.status() + " " + answer.headers() + " " + answer.text())
                .isEmpty();
        return answer;
    }

    private static ApiContract.Answer send(String url, String method, String path, Map<String, String> headers,
                                           byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        try {
            HttpResponse<byte[]> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, List<String>> answerHeaders = new HashMap<>(r.headers().map());
            answerHeaders.remove(":status");
            return new ApiContract.Answer(r.statusCode(), answerHeaders, r.body());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode json(ApiContract.Answer answer) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer.body());
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + answer.text(), e);
        }
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
