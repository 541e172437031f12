package dev.dcache.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dcache.client.transport.Call;
import dev.dcache.client.transport.KeySegment;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;

/**
 * The {@link Call} of every operation of the API (docs/api.md): path, headers and body. Each write
 * gets a fresh {@code X-Request-Id} here, once, so all its tries carry the same one.
 */
final class Requests {
    /** Prefers the value's own type over the JSON envelope, which is still accepted (a JSON value other than a string has no other form). */
    static final String ACCEPT_RAW = "*/*, application/json;q=0.1";
    private static final String JSON = "application/json";
    private static final Map<String, String> ACCEPT_JSON = Map.of("Accept", JSON);

    private final ObjectMapper mapper;

    Requests(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    Call get(String key) {
        return read("GET", key, ACCEPT_JSON);
    }

    Call getRaw(String key) {
        return read("GET", key, Map.of("Accept", ACCEPT_RAW));
    }

    Call head(String key) {
        return read("HEAD", key, ACCEPT_JSON);
    }

    Call getIfNoneMatch(String key, long version) {
        return read("GET", key, Map.of("Accept", JSON, "If-None-Match", "\"" + version + "\""));
    }

    Call put(String key, Object value, Duration ttl) {
        ObjectNode body = mapper.createObjectNode().put("key", key);
        body.set("value", json(value, key));
        putTtl(body, ttl);
        return write("POST", "/data", JSON, bytes(body), false);
    }

    Call putRaw(String key, byte[] bytes, String contentType, Duration ttl) {
        String query = ttl == null ? "" : "?ttl=" + seconds(ttl);
        return write("PUT", path(key) + query, contentType == null ? "application/octet-stream" : contentType,
                bytes.clone(), false);
    }

    Call delete(String key) {
        return write("DELETE", path(key), null, null, true);
    }

    Call putAll(Map<String, ?> values, Duration ttl) {
        ArrayNode items = mapper.createArrayNode();
        values.forEach((key, value) -> {
            ObjectNode item = items.addObject().put("key", key);
            item.set("value", json(value, key));
            putTtl(item, ttl);
        });
        return write("POST", "/data/bulk", JSON, bytes(items), false);
    }

    Call getAll(Collection<String> keys) {
        ArrayNode body = mapper.createArrayNode();
        keys.forEach(body::add);
        return new Call("POST", "/data/bulk/get", Map.of("Content-Type", JSON, "Accept", JSON), bytes(body), false,
                false);
    }

    Call cluster() {
        return new Call("GET", "/cluster", ACCEPT_JSON, null, false, false);
    }

    Call metrics() {
        return new Call("GET", "/metrics", Map.of(), null, false, false);
    }

    private static Call read(String method, String key, Map<String, String> headers) {
        return new Call(method, path(key), headers, null, false, true);
    }

    private static Call write(String method, String path, String contentType, byte[] body, boolean notFoundIsAnswer) {
        Map<String, String> headers = contentType == null
                ? Map.of("X-Request-Id", UUID.randomUUID().toString(), "Accept", JSON)
                : Map.of("X-Request-Id", UUID.randomUUID().toString(), "Accept", JSON, "Content-Type", contentType);
        return new Call(method, path, headers, body, true, notFoundIsAnswer);
    }

    private static String path(String key) {
        return "/data/" + KeySegment.encode(key);
    }

    private JsonNode json(Object value, String key) {
        JsonNode node = value instanceof JsonNode n ? n : mapper.valueToTree(value);
        if (node == null || node.isNull() || node.isMissingNode()) {
            throw new IllegalArgumentException("the value of key " + key + " is null; the cache stores no nulls (delete the key instead)");
        }
        return node;
    }

    private static void putTtl(ObjectNode body, Duration ttl) {
        if (ttl != null) {
            body.put("ttl", seconds(ttl));
        }
    }

    /** Whole seconds, a fraction rounded up (the API counts TTLs in seconds). */
    static long seconds(Duration ttl) {
        if (ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("a ttl must be positive, not " + ttl);
        }
        long s = ttl.getSeconds();
        return ttl.getNano() > 0 ? s + 1 : s;
    }

    private byte[] bytes(JsonNode body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the value cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
