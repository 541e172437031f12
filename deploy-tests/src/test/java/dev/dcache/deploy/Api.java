package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public API as a client sees it through nginx: every call bounded (5 s to connect, 15 s in
 * all), every answer kept with its status and, when it is JSON, parsed.
 */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    /** @param base e.g. {@code http://127.0.0.1:28080} */
    Api(String base) {
        this.base = base;
    }

    /** One answer; {@code json} is null when the body is empty or not JSON. */
    record Reply(int status, JsonNode json, String body) {
        boolean ok() {
            return status == 200;
        }

        String text(String field) {
            return json == null ? null : json.path(field).isMissingNode() || json.path(field).isNull() ? null : json.path(field).asText();
        }
    }

    Reply put(String key, String value) throws IOException, InterruptedException {
        return post("/data", Map.of("key", key, "value", value));
    }

    Reply get(String key) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri("/data/" + encode(key))).GET());
    }

    Reply delete(String key) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri("/data/" + encode(key))).DELETE());
    }

    Reply bulkPut(Map<String, String> values) throws IOException, InterruptedException {
        List<Map<String, String>> items = values.entrySet().stream()
                .map(e -> Map.of("key", e.getKey(), "value", e.getValue())).toList();
        return post("/data/bulk", items);
    }

    Reply bulkGet(List<String> keys) throws IOException, InterruptedException {
        return post("/data/bulk/get", keys);
    }

    /** A GET of a path as given, e.g. one nginx must not forward. */
    Reply getRaw(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Reply post(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8)));
    }

    private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request.timeout(REQUEST_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), parse(r.body()), r.body());
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    static JsonNode parse(String body) {
        try {
            return body == null || body.isEmpty() ? null : JSON.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    /**
     * A key as one path segment: every byte but the unreserved letters, digits and {@code -_~}
     * percent-encoded, so "/", "?", "%", "#", spaces, dots and non-ASCII all reach the master as
     * part of the key (a bare "." or ".." segment would be a dot segment).
     */
    static String encode(String key) {
        StringBuilder out = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** The values of a bulk-get answer, in key order. */
    static Map<String, String> values(Reply bulkGet) {
        Map<String, String> out = new LinkedHashMap<>();
        if (bulkGet.json() != null) {
            bulkGet.json().path("values").properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
