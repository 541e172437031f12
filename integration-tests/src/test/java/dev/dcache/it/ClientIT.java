package dev.dcache.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.BulkRead;
import dev.dcache.client.ConditionalRead;
import dev.dcache.client.DcacheClient;
import dev.dcache.client.Entry;
import dev.dcache.client.RawValue;
import dev.dcache.client.WriteResult;
import dev.dcache.client.error.BadRequestException;
import dev.dcache.client.error.PayloadTooLargeException;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every operation of the Java client against a real cluster (2 aux nodes, 2 masters), the client
 * holding both masters as its hosts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientIT {
    private static final ObjectMapper MAPPER = DcacheClient.newObjectMapper();
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private DcacheClient client;

    @BeforeAll
    void start() {
        cluster = TestCluster.of(clock, 2, 2);
        client = DcacheClient.builder().host(cluster.masterUrl(0)).host(cluster.masterUrl(1))
                .requestTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    void stop() {
        client.close();
        cluster.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"text\"", "\"\"", "\"ключ 😀 \\\"quoted\\\" \\n\"", "42", "-7", "0",
            "123456789012345678901234567890", "1.10", "-0.000100", "1E+3", "true", "false", "{}", "[]",
            "{\"b\":1,\"a\":[1,2.50,{\"c\":null}],\"s\":\"x\"}", "[\"a\",1,true,null,{\"k\":[]}]"})
    void put_jsonValueOfAnyType_readsBackAsTheSameJsonWithEveryDigit(String json) throws Exception {
        JsonNode value = MAPPER.readTree(json);
        String key = "json-" + Integer.toHexString(json.hashCode());

        WriteResult w = client.put(key, value);

        assertThat(w.key()).isEqualTo(key);
        assertThat(w.version()).isPositive();
        assertThat(w.replicas()).isEqualTo(2);
        Entry e = client.get(key).orElseThrow();
        assertThat(e.value()).isEqualTo(value);
        assertThat(e.value().toString()).as("the compact JSON text, every digit kept").isEqualTo(json);
        assertThat(e.version()).isEqualTo(w.version());
        assertThat(e.isRaw()).isFalse();
        assertThat(e.ttl()).isEmpty();
    }

    record Profile(String name, int age, List<String> tags) {
    }

    @Test
    void put_javaObject_isStoredAsItsJson() {
        client.put("profile", new Profile("ada", 36, List.of("math")));

        assertThat(client.get("profile").orElseThrow().value())
                .isEqualTo(MAPPER.valueToTree(Map.of("name", "ada", "age", 36, "tags", List.of("math"))));
    }

    @Test
    void put_again_increasesTheVersionThatReadsAndHeadReport() {
        long v1 = client.put("versioned", "one").version();
        long v2 = client.put("versioned", "two").version();

        assertThat(v2).isGreaterThan(v1);
        assertThat(client.get("versioned").orElseThrow().version()).isEqualTo(v2);
        assertThat(client.head("versioned")).hasValue(v2);
        assertThat(client.exists("versioned")).isTrue();
    }

    @Test
    void getIfNoneMatch_currentOldAndMissing_areNotModifiedModifiedAndMissing() {
        long v1 = client.put("conditional", Map.of("n", 1)).version();
        assertThat(client.getIfNoneMatch("conditional", v1)).isEqualTo(new ConditionalRead.NotModified(v1));

        long v2 = client.put("conditional", Map.of("n", 2)).version();
        assertThat(client.getIfNoneMatch("conditional", v1)).isInstanceOfSatisfying(ConditionalRead.Modified.class, m -> {
            assertThat(m.entry().version()).isEqualTo(v2);
            assertThat(m.entry().value().path("n").asInt()).isEqualTo(2);
        });

        client.delete("conditional");
        assertThat(client.getIfNoneMatch("conditional", v2)).isEqualTo(new ConditionalRead.Missing());
    }

    @Test
    void putRaw_bytesWithType_readBackAsTheSameBytesAndTypeBothWays() {
        byte[] png = new byte[4096];
        new Random(7).nextBytes(png);
        png[0] = (byte) 0x89; // not UTF-8: the envelope carries it as base64
        long version = client.putRaw("logo", png, "image/png", null).version();

        RawValue raw = client.getRaw("logo").orElseThrow();
        assertThat(raw.bytes()).isEqualTo(png);
        assertThat(raw.contentType()).isEqualTo("image/png");
        assertThat(raw.version()).isEqualTo(version);
        assertThat(raw.ttl()).isEmpty();

        Entry e = client.get("logo").orElseThrow();
        assertThat(e.isRaw()).isTrue();
        assertThat(e.contentType()).isEqualTo("image/png");
        assertThat(e.bytes()).isEqualTo(png);
        assertThat(e.version()).isEqualTo(version);
    }

    @Test
    void putRaw_textWithParameters_keepsTheTypeAndReadsAsText() {
        byte[] text = "plain text, ünïcode".getBytes(StandardCharsets.UTF_8);
        client.putRaw("note", text, "text/plain; charset=utf-8", null);

        Entry e = client.get("note").orElseThrow();
        assertThat(e.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(e.value().asText()).isEqualTo("plain text, ünïcode");
        assertThat(client.getRaw("note").orElseThrow().bytes()).isEqualTo(text);
    }

    @Test
    void getRaw_jsonValues_areAStringsTextAndOtherValuesJsonText() throws Exception {
        client.put("raw-string", "just text");
        client.put("raw-object", MAPPER.readTree("{\"price\":1.10}"));

        RawValue s = client.getRaw("raw-string").orElseThrow();
        assertThat(s.contentType()).startsWith("text/plain");
        assertThat(new String(s.bytes(), StandardCharsets.UTF_8)).isEqualTo("just text");
        RawValue o = client.getRaw("raw-object").orElseThrow();
        assertThat(o.contentType()).isEqualTo("application/json");
        assertThat(new String(o.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"price\":1.10}");
    }

    @Test
    void missingKey_isEmptyFalseOrMissingEverywhere() {
        assertThat(client.get("never-written")).isEmpty();
        assertThat(client.getRaw("never-written")).isEmpty();
        assertThat(client.head("never-written")).isEmpty();
        assertThat(client.exists("never-written")).isFalse();
        assertThat(client.delete("never-written")).isFalse();
    }

    @Test
    void delete_existingThenAgain_isTrueThenFalse() {
        client.put("doomed", 1);

        assertThat(client.delete("doomed")).isTrue();
        assertThat(client.delete("doomed")).isFalse();
        assertThat(client.get("doomed")).isEmpty();
    }

    @Test
    void ttl_isReportedByEveryReadAndTheKeyExpires() {
        client.put("expiring", "soon", Duration.ofSeconds(60));
        client.putRaw("expiring-raw", new byte[]{1, 2}, null, Duration.ofSeconds(90));

        assertThat(client.get("expiring").orElseThrow().ttl()).hasValue(60);
        assertThat(client.getRaw("expiring-raw").orElseThrow().ttl()).hasValue(90);
        assertThat(client.getRaw("expiring-raw").orElseThrow().contentType()).isEqualTo("application/octet-stream");

        clock.advance(Duration.ofSeconds(61));
        assertThat(client.get("expiring")).isEmpty();
        assertThat(client.get("expiring-raw").orElseThrow().ttl()).hasValue(29);
    }

    @Test
    void putAllThenGetAll_mixedValuesRawAndMissing() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("bulk-s", "s");
        values.put("bulk-n", MAPPER.readTree("2.50"));
        values.put("bulk-o", Map.of("k", List.of(1, 2)));
        assertThat(client.putAll(values, Duration.ofSeconds(600))).isEqualTo(3);
        byte[] bytes = {0, (byte) 0xFF, 1};
        long rawVersion = client.putRaw("bulk-raw", bytes, "application/x-thing", null).version();

        BulkRead r = client.getAll(List.of("bulk-raw", "bulk-missing", "bulk-s", "bulk-n", "bulk-o"));

        assertThat(r.found().keySet()).containsExactly("bulk-raw", "bulk-s", "bulk-n", "bulk-o");
        assertThat(r.missing()).containsExactly("bulk-missing");
        assertThat(r.found().get("bulk-s").value().asText()).isEqualTo("s");
        assertThat(r.found().get("bulk-n").value().toString()).isEqualTo("2.50");
        assertThat(r.found().get("bulk-o").value()).isEqualTo(MAPPER.valueToTree(values.get("bulk-o")));
        assertThat(r.found().values()).allSatisfy(e -> assertThat(e.version()).isPositive());
        Entry raw = r.found().get("bulk-raw");
        assertThat(raw.contentType()).isEqualTo("application/x-thing");
        assertThat(raw.bytes()).isEqualTo(bytes);
        assertThat(raw.version()).isEqualTo(rawVersion);
        assertThat(client.get("bulk-s").orElseThrow().ttl()).hasValue(600);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "what?", "100%", "#tag", "two words", "ключ", "😀", ".", "..", "a+b", "x=1&y=2", "~_-."})
    void keysOfAnyCharacters_roundTripAsOneSegment(String key) {
        client.put(key, "value of " + key);

        Entry e = client.get(key).orElseThrow();
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.value().asText()).isEqualTo("value of " + key);
        assertThat(client.delete(key)).isTrue();
    }

    @Test
    void async_callsCompose() {
        CompletableFuture<Entry> read = client.putAsync("async", List.of(1, 2, 3), null)
                .thenCompose(w -> client.getAsync("async"))
                .thenApply(java.util.Optional::orElseThrow);

        assertThat(read.join().value().toString()).isEqualTo("[1,2,3]");
        assertThat(client.deleteAsync("async").join()).isTrue();
    }

    @Test
    void refusedRequests_areTypedAndWriteNothing() {
        assertThatThrownBy(() -> client.put("k".repeat(251), "v"))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> client.put("too-big", "v".repeat((1 << 20) + 1)))
                .isInstanceOf(PayloadTooLargeException.class);
        assertThatThrownBy(() -> client.putRaw("bad-type", new byte[]{1}, "not a type", null))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(client.exists("too-big")).isFalse();
        assertThat(client.exists("bad-type")).isFalse();
    }

    @Test
    void clusterAndStats_describeTheAnsweringMaster() {
        JsonNode view = client.cluster();
        assertThat(view.path("master").asText()).startsWith("master-");
        assertThat(view.path("nodes")).hasSize(2);

        assertThat(client.stats()).contains("# TYPE").contains("dcache_");
    }
}
