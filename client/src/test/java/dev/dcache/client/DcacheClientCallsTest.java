package dev.dcache.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.StubServer.Reply;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What each call sends (method, path, headers, body) and how it reads the answer. */
class DcacheClientCallsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One call against a server answering {@code reply}; returns the call's result and the request seen. */
    private record Exchange<T>(T result, StubServer.Seen request) {
    }

    private interface Op<T> {
        T call(DcacheClient client);
    }

    private static <T> Exchange<T> exchange(Reply reply, Op<T> op) throws IOException {
        try (StubServer server = new StubServer(reply);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            T result = op.call(client);
            assertThat(server.seen()).hasSize(1);
            return new Exchange<>(result, server.seen().get(0));
        }
    }

    @Test
    void get_envelope_keepsEveryDigitAndReadsVersionAndTtl() throws IOException {
        String value = "{\"price\":1.10,\"big\":123456789012345678901234567890,\"tags\":[\"a\",true,null]}";
        Exchange<Optional<Entry>> x = exchange(Reply.json(200,
                "{\"key\":\"k\",\"value\":" + value + ",\"version\":1883274412335104001,\"ttl\":60}"), c -> c.get("k"));

        Entry e = x.result().orElseThrow();
        assertThat(e.key()).isEqualTo("k");
        assertThat(e.value().toString()).isEqualTo(value);
        assertThat(e.version()).isEqualTo(1883274412335104001L);
        assertThat(e.ttl()).hasValue(60);
        assertThat(e.isRaw()).isFalse();
        assertThat(x.request().method()).isEqualTo("GET");
        assertThat(x.request().rawPath()).isEqualTo("/data/k");
        assertThat(x.request().header("Accept")).isEqualTo("application/json");
        assertThat(x.request().header("X-Request-Id")).isNull();
    }

    @Test
    void get_rawValueEnvelope_decodesBase64WithItsType() throws IOException {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2};
        String b64 = java.util.Base64.getEncoder().encodeToString(png);
        Exchange<Optional<Entry>> x = exchange(Reply.json(200, "{\"key\":\"logo\",\"value\":\"" + b64
                + "\",\"version\":5,\"contentType\":\"image/png\",\"encoding\":\"base64\"}"), c -> c.get("logo"));

        Entry e = x.result().orElseThrow();
        assertThat(e.isRaw()).isTrue();
        assertThat(e.contentType()).isEqualTo("image/png");
        assertThat(e.bytes()).isEqualTo(png);
        assertThat(e.ttl()).isEmpty();
    }

    @Test
    void get_404_isEmpty() throws IOException {
        assertThat(exchange(Reply.error(404, "key not found"), c -> c.get("k")).result()).isEmpty();
    }

    @Test
    void getRaw_rawAnswer_isTheBodyWithItsTypeVersionAndTtl() throws IOException {
        byte[] body = {1, 2, 3, (byte) 0xFF};
        Reply reply = new Reply(200, Map.of("Content-Type", "image/png", "ETag", "\"9\"", "X-TTL", "5"), body, false);
        Exchange<Optional<RawValue>> x = exchange(reply, c -> c.getRaw("k"));

        RawValue r = x.result().orElseThrow();
        assertThat(r.contentType()).isEqualTo("image/png");
        assertThat(r.bytes()).isEqualTo(body);
        assertThat(r.version()).isEqualTo(9);
        assertThat(r.ttl()).hasValue(5);
        assertThat(x.request().header("Accept")).isEqualTo(Requests.ACCEPT_RAW);
    }

    @Test
    void getRaw_envelopeOfAJsonValue_isItsJsonText() throws IOException {
        Exchange<Optional<RawValue>> x = exchange(Reply.json(200,
                "{\"key\":\"k\",\"value\":{\"a\":[1,2.50]},\"version\":4}", "ETag", "\"4\""), c -> c.getRaw("k"));

        RawValue r = x.result().orElseThrow();
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(new String(r.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":[1,2.50]}");
        assertThat(r.version()).isEqualTo(4);
    }

    @Test
    void head_200_isTheVersionOfTheEtag() throws IOException {
        Exchange<OptionalLong> x = exchange(Reply.empty(200, "ETag", "\"77\""), c -> c.head("k"));

        assertThat(x.result()).hasValue(77);
        assertThat(x.request().method()).isEqualTo("HEAD");
    }

    @Test
    void exists_404_isFalse() throws IOException {
        assertThat(exchange(Reply.empty(404), c -> c.exists("k")).result()).isFalse();
    }

    @Test
    void getIfNoneMatch_304_isNotModifiedAndSendsTheVersionAsEtag() throws IOException {
        Exchange<ConditionalRead> x = exchange(Reply.empty(304, "ETag", "\"12\""), c -> c.getIfNoneMatch("k", 12));

        assertThat(x.result()).isEqualTo(new ConditionalRead.NotModified(12));
        assertThat(x.request().header("If-None-Match")).isEqualTo("\"12\"");
    }

    @Test
    void getIfNoneMatch_200_isModifiedWithTheNewEntry() throws IOException {
        Exchange<ConditionalRead> x = exchange(Reply.json(200, "{\"key\":\"k\",\"value\":\"new\",\"version\":13}"),
                c -> c.getIfNoneMatch("k", 12));

        assertThat(x.result()).isInstanceOfSatisfying(ConditionalRead.Modified.class,
                m -> assertThat(m.entry().version()).isEqualTo(13));
    }

    @Test
    void getIfNoneMatch_404_isMissing() throws IOException {
        assertThat(exchange(Reply.error(404, "key not found"), c -> c.getIfNoneMatch("k", 1)).result())
                .isEqualTo(new ConditionalRead.Missing());
    }

    record Point(int x, String label) {
    }

    @Test
    void put_javaObjectWithFractionalTtl_postsItsJsonAndRoundsTheTtlUp() throws IOException {
        Exchange<WriteResult> x = exchange(Reply.json(200, "{\"key\":\"p\",\"version\":3,\"replicas\":2}"),
                c -> c.put("p", new Point(1, "one"), Duration.ofMillis(1500)));

        assertThat(x.result()).isEqualTo(new WriteResult("p", 3, 2));
        assertThat(x.request().method()).isEqualTo("POST");
        assertThat(x.request().rawPath()).isEqualTo("/data");
        assertThat(x.request().header("Content-Type")).isEqualTo("application/json");
        assertThat(MAPPER.readTree(x.request().body()))
                .isEqualTo(MAPPER.readTree("{\"key\":\"p\",\"value\":{\"x\":1,\"label\":\"one\"},\"ttl\":2}"));
    }

    @Test
    void put_bigDecimal_keepsItsTrailingZero() throws IOException {
        Exchange<WriteResult> x = exchange(Reply.json(200, "{\"key\":\"n\",\"version\":3,\"replicas\":2}"),
                c -> c.put("n", new java.math.BigDecimal("1.10")));

        assertThat(x.request().bodyText()).isEqualTo("{\"key\":\"n\",\"value\":1.10}");
    }

    @Test
    void put_nullOrNonPositiveTtl_isRefusedBeforeSending() throws IOException {
        try (StubServer server = new StubServer(Reply.error(500, "must not be called"));
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            assertThatThrownBy(() -> client.put("k", null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("null");
            assertThatThrownBy(() -> client.put("k", MAPPER.nullNode())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.put("k", "v", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ttl");
            assertThatThrownBy(() -> client.get("")).isInstanceOf(IllegalArgumentException.class);
            assertThat(server.seen()).isEmpty();
        }
    }

    @Test
    void putRaw_sendsTheBytesWithTypeTtlAndRequestId() throws IOException {
        byte[] bytes = {0, 1, 2, (byte) 0xFE};
        Exchange<WriteResult> x = exchange(Reply.json(200, "{\"key\":\"b\",\"version\":8,\"replicas\":1}"),
                c -> c.putRaw("b", bytes, "image/png", Duration.ofSeconds(10)));

        assertThat(x.result().version()).isEqualTo(8);
        assertThat(x.request().method()).isEqualTo("PUT");
        assertThat(x.request().rawPath()).isEqualTo("/data/b");
        assertThat(x.request().rawQuery()).isEqualTo("ttl=10");
        assertThat(x.request().header("Content-Type")).isEqualTo("image/png");
        assertThat(x.request().header("X-Request-Id")).isNotBlank();
        assertThat(x.request().body()).isEqualTo(bytes);
    }

    @Test
    void putRaw_withoutTypeOrTtl_isOctetStreamWithoutQuery() throws IOException {
        Exchange<WriteResult> x = exchange(Reply.json(200, "{\"key\":\"b\",\"version\":8,\"replicas\":1}"),
                c -> c.putRaw("b", new byte[]{1}, null, null));

        assertThat(x.request().header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(x.request().rawQuery()).isNull();
    }

    @Test
    void delete_200IsTrueAnd404IsFalse() throws IOException {
        Exchange<Boolean> deleted = exchange(Reply.json(200, "{\"key\":\"k\",\"deleted\":true}"), c -> c.delete("k"));
        assertThat(deleted.result()).isTrue();
        assertThat(deleted.request().method()).isEqualTo("DELETE");
        assertThat(deleted.request().header("X-Request-Id")).isNotBlank();

        assertThat(exchange(Reply.error(404, "key not found"), c -> c.delete("k")).result()).isFalse();
    }

    @Test
    void putAll_postsEveryItemWithTheTtl() throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("a", "x");
        values.put("b", List.of(1, 2));
        Exchange<Integer> x = exchange(Reply.json(200, "{\"stored\":2}"), c -> c.putAll(values, Duration.ofSeconds(30)));

        assertThat(x.result()).isEqualTo(2);
        assertThat(x.request().rawPath()).isEqualTo("/data/bulk");
        assertThat(x.request().header("X-Request-Id")).isNotBlank();
        assertThat(MAPPER.readTree(x.request().body())).isEqualTo(MAPPER.readTree(
                "[{\"key\":\"a\",\"value\":\"x\",\"ttl\":30},{\"key\":\"b\",\"value\":[1,2],\"ttl\":30}]"));
    }

    @Test
    void getAll_readsValuesVersionsRawAndMissingInTheOrderAsked() throws IOException {
        String answer = "{\"values\":{\"a\":{\"n\":1},\"t\":\"hi\"},\"versions\":{\"a\":3,\"t\":4},\"missing\":[\"z\"],"
                + "\"raw\":{\"t\":{\"contentType\":\"text/plain\",\"encoding\":\"utf-8\"}}}";
        Exchange<BulkRead> x = exchange(Reply.json(200, answer), c -> c.getAll(List.of("t", "z", "a")));

        BulkRead r = x.result();
        assertThat(r.found().keySet()).containsExactly("t", "a");
        assertThat(r.found().get("a").value()).isEqualTo(MAPPER.readTree("{\"n\":1}"));
        assertThat(r.found().get("a").version()).isEqualTo(3);
        assertThat(r.found().get("t").contentType()).isEqualTo("text/plain");
        assertThat(r.found().get("t").bytes()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
        assertThat(r.missing()).containsExactly("z");
        assertThat(x.request().rawPath()).isEqualTo("/data/bulk/get");
        assertThat(x.request().bodyText()).isEqualTo("[\"t\",\"z\",\"a\"]");
        assertThat(x.request().header("X-Request-Id")).isNull();
    }

    @Test
    void clusterAndStats_readTheMastersRoutes() throws IOException {
        Exchange<JsonNode> cluster = exchange(Reply.json(200, "{\"master\":\"master-1\",\"ring\":[\"aux-1\"]}"),
                DcacheClient::cluster);
        assertThat(cluster.result().path("master").asText()).isEqualTo("master-1");
        assertThat(cluster.request().rawPath()).isEqualTo("/cluster");

        Reply metrics = new Reply(200, Map.of("Content-Type", "text/plain"),
                "# HELP x\nx 1.0\n".getBytes(StandardCharsets.UTF_8), false);
        Exchange<String> stats = exchange(metrics, DcacheClient::stats);
        assertThat(stats.result()).isEqualTo("# HELP x\nx 1.0\n");
        assertThat(stats.request().rawPath()).isEqualTo("/metrics");
    }

    @Test
    void get_keyWithReservedCharacters_isSentAsOneEncodedSegment() throws IOException {
        Reply missing = Reply.error(404, "key not found");
        assertThat(exchange(missing, c -> c.get("a/b ?%#é+")).request().rawPath())
                .isEqualTo("/data/a%2Fb%20%3F%25%23%C3%A9%2B");
        assertThat(exchange(missing, c -> c.get("..")).request().rawPath()).isEqualTo("/data/%2E%2E");
        assertThat(exchange(missing, c -> c.get("v1.2_x~")).request().rawPath()).isEqualTo("/data/v1.2_x~");
    }

    @Test
    void hostWithPathPrefix_isKeptBeforeTheRoute() throws IOException {
        try (StubServer server = new StubServer(Reply.error(404, "key not found"));
             DcacheClient client = RecordingPause.immediate().client(server.uri().resolve("/cache/")).build()) {
            client.get("k");
            assertThat(server.seen().get(0).rawPath()).isEqualTo("/cache/data/k");
        }
    }
}
