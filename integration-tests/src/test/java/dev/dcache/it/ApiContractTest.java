package dev.dcache.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract check can fail: answers that break the master's OpenAPI document (read from the
 * master's class path, no cluster) are reported, and so are documented answers never exercised.
 * Without these, a green {@link OpenApiContractIT} could mean a validator that accepts anything.
 */
class ApiContractTest {
    private static final Map<String, List<String>> JSON = Map.of("Content-Type", List.of("application/json"));
    private static final String ETAG = "\"1883274412335104001\"";

    private final ApiContract contract = new ApiContract(document());

    static String document() {
        try (InputStream in = ApiContractTest.class.getResourceAsStream("/openapi.json")) {
            assertThat(in).as("openapi.json on the class path (the master's jar)").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ApiContract.Answer answer(int status, Map<String, List<String>> headers, String body) {
        return new ApiContract.Answer(status, headers, bytes(body));
    }

    private static Map<String, List<String>> jsonWith(String header, String value) {
        return Map.of("Content-Type", List.of("application/json"), header, List.of(value));
    }

    @Test
    void document_isOpenApi31_withoutParserMessages() {
        assertThat(ApiContract.problems(document())).isEmpty();
        assertThat(contract.openapiVersion()).startsWith("3.1.");
    }

    @Test
    void brokenDocument_hasParserMessages() {
        String broken = document()
                .replace("\"#/components/schemas/Deleted\"", "\"#/components/schemas/NoSuchSchema\"")
                .replace("\"openapi\": \"3.1.0\",", "\"openapi\": \"3.1.0\", \"pathz\": {},");
        assertThat(ApiContract.problems(broken)).anySatisfy(m -> assertThat(m).contains("NoSuchSchema"))
                .anySatisfy(m -> assertThat(m).contains("pathz"));
        assertThat(ApiContract.problems("{\"swagger\": \"nope\"}")).isNotEmpty();
        assertThatThrownBy(() -> new ApiContract(broken)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void conformingRead_passes() {
        assertThat(contract.check("GET", "/data/k", answer(200, jsonWith("ETag", ETAG),
                "{\"key\":\"k\",\"value\":{\"n\":1.10},\"version\":1883274412335104001,\"ttl\":60}"))).isEmpty();
    }

    @Test
    void readWithNullValue_fails() {
        assertThat(contract.check("GET", "/data/k", answer(200, jsonWith("ETag", ETAG),
                "{\"key\":\"k\",\"value\":null,\"version\":1}"))).isNotEmpty();
    }

    @Test
    void readWithoutVersion_fails() {
        assertThat(contract.check("GET", "/data/k", answer(200, jsonWith("ETag", ETAG),
                "{\"key\":\"k\",\"value\":\"v\"}"))).isNotEmpty();
    }

    @Test
    void readWithUndocumentedField_fails() {
        assertThat(contract.check("GET", "/data/k", answer(200, jsonWith("ETag", ETAG),
                "{\"key\":\"k\",\"value\":\"v\",\"version\":1,\"extra\":true}"))).isNotEmpty();
    }

    @Test
    void readWithoutETag_fails() {
        assertThat(contract.check("GET", "/data/k", answer(200, JSON,
                "{\"key\":\"k\",\"value\":\"v\",\"version\":1}"))).isNotEmpty();
    }

    @Test
    void weakETagOnAWrite_fails() {
        assertThat(contract.check("POST", "/data", answer(200, jsonWith("ETag", "W/\"1\""),
                "{\"key\":\"k\",\"version\":1,\"replicas\":2}"))).isNotEmpty();
    }

    @Test
    void undocumentedStatus_fails() {
        assertThat(contract.check("GET", "/data/k", answer(500, JSON, "{\"error\":\"internal error\"}")))
                .anySatisfy(e -> assertThat(e).contains("status"));
        assertThat(contract.check("GET", "/health", answer(503, jsonWith("Retry-After", "1"), "{\"error\":\"x\"}")))
                .isNotEmpty();
    }

    @Test
    void errorThatIsNotTheErrorShape_fails() {
        assertThat(contract.check("GET", "/data/k", answer(404, JSON, "{\"message\":\"key not found\"}"))).isNotEmpty();
        assertThat(contract.check("GET", "/data/k", answer(404, Map.of("Content-Type", List.of("text/html")),
                "<h1>404</h1>"))).isNotEmpty();
    }

    @Test
    void unavailableWithoutRetryAfter_fails() {
        assertThat(contract.check("POST", "/data", answer(503, JSON, "{\"error\":\"busy\"}"))).isNotEmpty();
    }

    @Test
    void notAllowedWithoutAllow_fails() {
        assertThat(contract.check("PATCH", "/data/k", answer(405, JSON, "{\"error\":\"no\"}"))).isNotEmpty();
    }

    @Test
    void bodyOnA304_fails() {
        assertThat(contract.check("GET", "/data/k", answer(304, jsonWith("ETag", ETAG), "{}"))).isNotEmpty();
    }

    @Test
    void undocumentedRouteOrMethod_fails() {
        assertThat(contract.check("GET", "/cluster", answer(200, JSON, "{}"))).isNotEmpty();
        assertThat(contract.check("TRACE", "/data/k", answer(405, jsonWith("Allow", "GET"), "{\"error\":\"no\"}")))
                .isNotEmpty();
    }

    @Test
    void requests_areCheckedToo() {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        assertThat(contract.checkRequest("POST", "/data", json, bytes("{\"key\":\"k\",\"value\":[1,{\"a\":2.50}],\"ttl\":60}")))
                .isEmpty();
        assertThat(contract.checkRequest("PUT", "/data/logo?ttl=60", Map.of("Content-Type", "image/png"), new byte[]{1, 2}))
                .isEmpty();
        assertThat(contract.checkRequest("POST", "/data", json, bytes("{\"key\":\"k\",\"value\":null}"))).isNotEmpty();
        assertThat(contract.checkRequest("POST", "/data", json, bytes("{\"key\":\"k\",\"value\":1,\"tll\":5}")))
                .isNotEmpty();
        assertThat(contract.checkRequest("PUT", "/data/k?ttl=0", Map.of(), bytes("x"))).isNotEmpty();
        assertThat(contract.checkRequest("DELETE", "/data/k", Map.of("X-Request-Id", "not an id"), null)).isNotEmpty();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void unexercised_listsEveryDocumentedAnswer_untilAValidCheckSeesIt() {
        assertThat(contract.unexercised()).isEqualTo(contract.documented())
                .contains("GET /data/{key} 304", "HEAD /data/{key} 200", "POST /data 504", "GET /openapi.json 200");
        contract.check("GET", "/data/k", answer(304, Map.of("ETag", List.of(ETAG)), ""));
        contract.check("GET", "/data/k", answer(500, JSON, "{\"error\":\"internal error\"}")); // invalid: not recorded
        contract.check("POST", "/data", answer(504, JSON, "{\"answer\":\"not an error\"}")); // invalid: not recorded
        assertThat(contract.unexercised()).doesNotContain("GET /data/{key} 304").contains("POST /data 504")
                .hasSize(contract.documented().size() - 1);
    }
}
