package dev.dcache.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.aux.AuxMain;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public data API against 3 real aux nodes and 2 masters, run once per master-to-aux
 * transport (see the subclasses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DataPathContract {
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private String m0;
    private String m1;

    /** {@code AUX_TRANSPORT} for the masters. */
    abstract String transport();

    @BeforeAll
    void start() {
        cluster = new TestCluster(clock);
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        Map<String, String> env = Map.of("AUX_TRANSPORT", transport());
        cluster.startMaster("master-1", env);
        cluster.startMaster("master-2", env);
        m0 = cluster.masterUrl(0);
        m1 = cluster.masterUrl(1);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void put_thenGetThroughEitherMaster_returnsValue() {
        Http.Reply put = Http.postJson(m0 + "/data", Map.of("key", "greeting", "value", "hello"));
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.json().path("key").asText()).isEqualTo("greeting");
        assertThat(put.json().path("replicas").asInt()).isEqualTo(2);

        for (String m : List.of(m0, m1)) {
            Http.Reply get = Http.get(m + "/data/greeting");
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.json().path("value").asText()).isEqualTo("hello");
            assertThat(get.json().has("ttl")).isFalse();
        }
    }

    @Test
    void singleKeyRoutes_valid_invalid_andOtherMethods_areAllAnsweredByTheDataPath() {
        Map<String, Double> before = handled();
        assertThat(Http.postJson(m0 + "/data", Map.of("key", "who-answers", "value", "v")).status()).isEqualTo(200);
        assertThat(Http.get(m0 + "/data/who-answers").status()).isEqualTo(200);
        assertThat(Http.delete(m0 + "/data/who-answers").status()).isEqualTo(200);
        assertThat(Http.get(m0 + "/data/who-answers").status()).isEqualTo(404);
        assertThat(Http.post(m0 + "/data", "{\"key\":1}", "application/json").status()).isEqualTo(400);
        assertThat(Http.get(m0 + "/data/" + "k".repeat(251)).status()).as("a key over the limit").isEqualTo(400);
        Http.Reply patch = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m0 + "/data/who-answers"))
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(patch.status()).isEqualTo(405);
        assertThat(patch.error()).isEqualTo("method PATCH not allowed on /data/who-answers");
        Map<String, Double> after = handled();
        assertThat(after.get("fast") - before.get("fast")).isEqualTo(7);
        // the only request Javalin saw meanwhile is the second /metrics scrape (a scrape counts itself)
        assertThat(after.get("javalin") - before.get("javalin")).isEqualTo(1);
    }

    @Test
    void invalidBody_isAnsweredWithTheDataApisOwnError_andNothingIsWritten() {
        // the message proves DataApi parsed the body (a lost body would be "request body is empty")
        Http.Reply nullValue = Http.post(m0 + "/data", "{\"key\":\"typed\",\"value\":null}", "application/json");
        assertThat(nullValue.status()).isEqualTo(400);
        assertThat(nullValue.error()).startsWith("'value' is missing or null");
        Http.Reply unknown = Http.post(m0 + "/data", "{\"key\":\"typed\",\"value\":\"v\",\"colour\":1}", "application/json");
        assertThat(unknown.error()).startsWith("unknown field 'colour'");
        Http.Reply malformed = Http.post(m0 + "/data", "{\"key\":\"typed\",", "application/json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.error()).startsWith("malformed JSON");
        assertThat(Http.get(m1 + "/data/typed").status()).isEqualTo(404);
    }

    /** {@code dcache_fast_path_requests_total} of master-1 by handler ({@code fast}, {@code javalin}), from one scrape. */
    private Map<String, Double> handled() {
        Map<String, Double> counts = new java.util.HashMap<>(Map.of("fast", 0.0, "javalin", 0.0));
        for (String line : Http.get(m0 + "/metrics").body().split("\n")) {
            for (String handler : List.of("fast", "javalin")) {
                if (line.startsWith("dcache_fast_path_requests_total{handler=\"" + handler + "\"")) {
                    counts.put(handler, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
                }
            }
        }
        return counts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"text\"", "\"\"", "\"\\u0000J{}\"", "0", "-7", "1.10", "1e400", "-0.0", "-0", "1e-2",
            "-1.65e2", "1E3", "0.10e1", "3.14159265358979323846264338327950288419716939937510",
            "123456789012345678901234567890", "true", "false", "[]", "{}", "[1,\"a\",null,[{\"b\":2.50}]]",
            "{\"z\":1,\"a\":{\"nested\":[true,null]},\"u\":\"\\u00e9\\ud83d\\ude00\"}"})
    void jsonValue_ofEveryKind_readsBackAsWritten_throughEitherMaster(String value) {
        Http.Reply put = Http.post(m0 + "/data", "{\"key\":\"shape\",\"value\":" + value + "}", "application/json");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        for (String m : List.of(m0, m1)) {
            Http.Reply get = Http.get(m + "/data/shape");
            assertThat(get.status()).isEqualTo(200);
            assertThat(Shapes.exact(get.body()).get("value")).as(get.body()).isEqualTo(Shapes.exact(value));
            if (!value.contains("\\") && !value.startsWith("\"")) {
                assertThat(get.body()).as("spelled as written").contains("\"value\":" + value + ",");
            }
            assertThat(get.json().path("version").asLong()).isEqualTo(put.json().path("version").asLong());
        }
    }

    @Test
    void rawValue_binaryAndText_roundTripsWithItsContentType_throughEitherMaster() {
        byte[] bytes = Shapes.binary(1);
        Shapes.putBinary(m0, "raw-bin", bytes);
        Shapes.assertBinary(m1, "raw-bin", bytes);

        Http.Reply put = Http.put(m0 + "/data/raw-text?ttl=50", "héllo\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "text/plain; charset=utf-8");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        Http.Raw raw = Http.getRaw(m1 + "/data/raw-text", "text/plain");
        assertThat(raw.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(new String(raw.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("héllo\n");
        assertThat(raw.header("X-TTL")).isEqualTo("50");
        JsonNode envelope = Http.get(m1 + "/data/raw-text").json();
        assertThat(envelope.path("value").asText()).isEqualTo("héllo\n");
        assertThat(envelope.path("contentType").asText()).isEqualTo("text/plain; charset=utf-8");
        assertThat(envelope.path("encoding").asText()).isEqualTo("utf-8");
        assertThat(envelope.path("ttl").asLong()).isEqualTo(50);

        // no content type: stored as application/octet-stream; an empty body is a value too
        assertThat(Http.put(m0 + "/data/raw-empty", new byte[0], null).status()).isEqualTo(200);
        Http.Raw empty = Http.getRaw(m0 + "/data/raw-empty", "application/octet-stream");
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(empty.body()).isEmpty();

        // a JSON string read raw is its characters; any other JSON value its JSON text
        Http.postJson(m0 + "/data", Map.of("key", "raw-of-json", "value", "just text"));
        assertThat(new String(Http.getRaw(m0 + "/data/raw-of-json", "text/plain").body(),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("just text");
        assertThat(Http.getRaw(m0 + "/data/raw-of-json", "image/png").status()).isEqualTo(406);
    }

    @Test
    void versions_etags_conditionalReads_andHead() {
        Http.Reply first = Http.postJson(m0 + "/data", Map.of("key", "versioned", "value", "one"));
        long v1 = first.json().path("version").asLong();
        Http.Raw read = Http.getRaw(m1 + "/data/versioned", "application/json");
        assertThat(read.header("ETag")).isEqualTo("\"" + v1 + "\"");
        assertThat(Http.get(m1 + "/data/versioned").json().path("version").asLong()).isEqualTo(v1);

        // the client's copy is current: 304, no body, from either master
        for (String m : List.of(m0, m1)) {
            Http.Raw notModified = Http.sendRaw(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m + "/data/versioned"))
                    .header("If-None-Match", "\"" + v1 + "\""));
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.body()).isEmpty();
            assertThat(notModified.header("ETag")).isEqualTo("\"" + v1 + "\"");
        }

        // a newer write: a higher version, and the old tag no longer matches
        Http.Reply second = Http.put(m1 + "/data/versioned", "two".getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/plain");
        long v2 = second.json().path("version").asLong();
        assertThat(v2).isGreaterThan(v1);
        Http.Raw changed = Http.sendRaw(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m0 + "/data/versioned"))
                .header("If-None-Match", "\"" + v1 + "\""));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.header("ETag")).isEqualTo("\"" + v2 + "\"");

        // HEAD: the headers of the GET, no body
        Http.Raw head = Http.sendRaw(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m0 + "/data/versioned"))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("ETag")).isEqualTo("\"" + v2 + "\"");
        assertThat(head.header("Content-Length")).isEqualTo(
                Integer.toString(Http.getRaw(m0 + "/data/versioned", "application/json").body().length));
        Http.Raw missing = Http.sendRaw(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m0 + "/data/never-written"))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).isEmpty();
    }

    @Test
    void put_overwrite_newestValueWins() {
        Http.postJson(m0 + "/data", Map.of("key", "counter", "value", "1"));
        Http.postJson(m1 + "/data", Map.of("key", "counter", "value", "2"));
        Http.postJson(m0 + "/data", Map.of("key", "counter", "value", "3"));
        assertThat(Http.get(m1 + "/data/counter").json().path("value").asText()).isEqualTo("3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "a?b", "100%", "a#b", "with space", "ключ", "emoji😀", "..", ".", "a%2Fb",
            "+plus+", "tab-less\\backslash", "quote\"d", "&=;:,@$!*'()", "日本語のキー"})
    void oddKey_roundTripsThroughThePath(String key) {
        assertThat(Http.postJson(m0 + "/data", Map.of("key", key, "value", "v:" + key)).status()).isEqualTo(200);
        Http.Reply get = Http.get(m1 + "/data/" + Http.encode(key));
        assertThat(get.status()).as(get.body()).isEqualTo(200);
        assertThat(get.json().path("key").asText()).isEqualTo(key);
        assertThat(get.json().path("value").asText()).isEqualTo("v:" + key);
        assertThat(Http.delete(m0 + "/data/" + Http.encode(key)).status()).isEqualTo(200);
        assertThat(Http.get(m1 + "/data/" + Http.encode(key)).status()).isEqualTo(404);
    }

    @Test
    void ttl_isReportedAndCountsDown_thenKeyExpires() {
        Http.postJson(m0 + "/data", Map.of("key", "short-lived", "value", "x", "ttl", 30));
        Http.Reply fresh = Http.get(m0 + "/data/short-lived");
        assertThat(fresh.json().path("ttl").asLong()).isEqualTo(30);

        clock.advance(Duration.ofSeconds(12));
        assertThat(Http.get(m1 + "/data/short-lived").json().path("ttl").asLong()).isEqualTo(18);

        clock.advance(Duration.ofSeconds(18));
        Http.Reply gone = Http.get(m0 + "/data/short-lived");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.error()).isNotBlank();
    }

    @Test
    void delete_existingKey_200_thenAbsent_404() {
        Http.postJson(m0 + "/data", Map.of("key", "doomed", "value", "x"));
        Http.Reply del = Http.delete(m1 + "/data/doomed");
        assertThat(del.status()).isEqualTo(200);
        assertThat(del.json().path("deleted").asBoolean()).isTrue();
        assertThat(Http.get(m0 + "/data/doomed").status()).isEqualTo(404);
        Http.Reply again = Http.delete(m0 + "/data/doomed");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.error()).isNotBlank();
    }

    @Test
    void put_storesOnExactlyTheRingOwners_withTheSameVersion() {
        HashRing ring = new HashRing(List.of("aux-1", "aux-2", "aux-3"), 256, HashFunction.FNV1A_MIX);
        for (int i = 0; i < 50; i++) {
            String key = "placed-" + i;
            long version = Http.postJson(m0 + "/data", Map.of("key", key, "value", "v" + i)).json().path("version").asLong();
            List<String> owners = ring.owners(key, 2);
            for (AuxMain a : cluster.aux()) {
                Entry held = a.cache().peek(key);
                if (owners.contains(a.config().id())) {
                    assertThat(held).as(key + " on " + a.config().id()).isNotNull();
                    assertThat(held.value()).isEqualTo("v" + i);
                    assertThat(held.version()).isEqualTo(version);
                } else {
                    assertThat(held).as(key + " must not be on " + a.config().id()).isNull();
                }
            }
        }
    }

    @Test
    void bulkPut_thenBulkGet_returnsFoundAndMissing() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Map<String, Object> item = new HashMap<>();
            item.put("key", "bulk-" + i);
            item.put("value", "value-" + i);
            if (i % 3 == 0) {
                item.put("ttl", 60);
            }
            items.add(item);
        }
        Http.Reply put = Http.postJson(m0 + "/data/bulk", items);
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("stored").asInt()).isEqualTo(300);

        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            keys.add("bulk-" + i);
        }
        keys.add("bulk-missing-1");
        keys.add("bulk-missing-2");
        Http.Reply get = Http.postJson(m1 + "/data/bulk/get", keys);
        assertThat(get.status()).isEqualTo(200);
        JsonNode values = get.json().path("values");
        assertThat(values.size()).isEqualTo(300);
        assertThat(values.path("bulk-7").asText()).isEqualTo("value-7");
        assertThat(get.json().path("missing")).hasSize(2);
        assertThat(Http.get(m1 + "/data/bulk-299").json().path("value").asText()).isEqualTo("value-299");
    }

    @Test
    void bulkPut_repeatedKey_laterItemWins() {
        Http.Reply put = Http.postJson(m0 + "/data/bulk", List.of(
                Map.of("key", "dup", "value", "first"), Map.of("key", "dup", "value", "second")));
        assertThat(put.json().path("stored").asInt()).isEqualTo(1);
        assertThat(Http.get(m1 + "/data/dup").json().path("value").asText()).isEqualTo("second");
    }

    @Test
    void value_ofExactlyTheLimit_isStored_andOneByteMoreIs413() {
        String max = "v".repeat(1 << 20);
        assertThat(Http.postJson(m0 + "/data", Map.of("key", "big", "value", max)).status()).isEqualTo(200);
        assertThat(Http.get(m1 + "/data/big").json().path("value").asText()).hasSize(1 << 20);
        Http.Reply tooBig = Http.postJson(m0 + "/data", Map.of("key", "big", "value", max + "v"));
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.error()).contains("limit");
        assertThat(Http.get(m1 + "/data/big").json().path("value").asText()).hasSize(1 << 20);
    }

    @Test
    void cluster_bothMastersShowTheSameRing() {
        JsonNode a = Http.get(m0 + "/cluster").json();
        JsonNode b = Http.get(m1 + "/cluster").json();
        assertThat(a.path("fingerprint").asText()).isNotBlank().isEqualTo(b.path("fingerprint").asText());
        assertThat(a.path("replicationFactor").asInt()).isEqualTo(2);
        assertThat(a.path("nodes")).hasSize(3);
        assertThat(a.path("nodes").get(0).path("state").asText()).isEqualTo("up");
    }

    @Test
    void health_isUpOnMastersAndAux() {
        assertThat(Http.get(m0 + "/health").json().path("status").asText()).isEqualTo("up");
        AuxMain a = cluster.aux().get(0);
        JsonNode h = Http.get("http://127.0.0.1:" + a.port() + "/health").json();
        assertThat(h.path("id").asText()).isEqualTo("aux-1");
        assertThat(h.path("binaryPort").asInt()).isEqualTo(a.binaryPort());
    }

    @Test
    void auxInternalApi_withoutToken_is401() {
        AuxMain a = cluster.aux().get(0);
        Http.Reply r = Http.get("http://127.0.0.1:" + a.port() + "/internal/entry?key=greeting");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.error()).contains("X-Cluster-Token");
    }

    @Test
    void metrics_exposeRequestHistogramByRouteTemplate() {
        Http.get(m0 + "/data/some-key-for-metrics");
        String text = Http.get(m0 + "/metrics").body();
        assertThat(text).contains("dcache_http_server_requests_seconds_bucket");
        assertThat(text).contains("uri=\"/data/<key>\"");
        assertThat(text).doesNotContain("some-key-for-metrics");
    }

    /**
     * The transport carries what an aux node vouches for: an ordering write with a request id,
     * answered without a replay, says how far back the node remembers the requests it ordered; the
     * same request again is a replay with the first version.
     */
    @Test
    void orderingWrite_answerSaysHowLongTheNodeRemembersRequests_andARetryReplays() throws Exception {
        AuxMain a = cluster.aux().get(0);
        dev.dcache.common.ring.NodeAddress node = new dev.dcache.common.ring.NodeAddress(a.config().id(), "127.0.0.1", a.port());
        var http = new dev.dcache.common.client.HttpAuxClient(new com.fasterxml.jackson.databind.ObjectMapper(),
                Duration.ofSeconds(2), Duration.ofSeconds(5), TestCluster.TOKEN);
        dev.dcache.common.client.AuxClient client = transport().equals("binary")
                ? new dev.dcache.common.client.BinaryAuxClient(http, Duration.ofSeconds(2), Duration.ofSeconds(5), TestCluster.TOKEN, 1)
                : http;
        try (http; AutoCloseable binary = client == http ? () -> { } : client) {
            // real time: the node counts rememberedMillis on System.nanoTime, which no fake clock reaches,
            // and the answer below must be at least 20 ms since the node started
            Thread.sleep(20);
            var mode = dev.dcache.common.client.WriteMode.ordering("contract-" + transport());
            String key = "vouch-" + transport();
            var first = client.startPut(node, new Entry(key, "v", 5, 0), mode).get(5, java.util.concurrent.TimeUnit.SECONDS);
            var again = client.startPut(node, new Entry(key, "v", 9, 0), mode).get(5, java.util.concurrent.TimeUnit.SECONDS);
            var copy = client.startPut(node, new Entry(key, "v", 10, 0), dev.dcache.common.client.WriteMode.COPY)
                    .get(5, java.util.concurrent.TimeUnit.SECONDS);

            assertThat(first.applied()).isTrue();
            assertThat(first.replayed()).isFalse();
            assertThat(first.rememberedMillis()).as("since the node started, at most 60 s")
                    .isBetween(20L, 60_000L);
            assertThat(again.replayed()).isTrue();
            assertThat(again.version()).isEqualTo(5);
            assertThat(copy.rememberedMillis()).as("a copy vouches for nothing").isZero();
        }
    }
}
