package dev.dcache.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small blocking HTTP client for tests, with JSON helpers and a timeout on every call. */
public final class Http {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A response: status and parsed JSON body ({@code null} when the body is not JSON). */
    public record Reply(int status, JsonNode json, String body, String contentType) {
        public String error() {
            return json == null ? null : json.path("error").asText(null);
        }
    }

    private Http() {
    }

    /** Percent-encodes a key as one path segment. */
    public static String encode(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20").replace(".", "%2E");
    }

    public static Reply get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    public static Reply delete(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).DELETE());
    }

    public static Reply postJson(String url, Object body) {
        try {
            return post(url, MAPPER.writeValueAsString(body), "application/json");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Reply post(String url, String body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b);
    }

    /** A response with its body as bytes, and its headers. */
    public record Raw(int status, byte[] body, java.net.http.HttpHeaders headers) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** {@code PUT url} with {@code body} as it is and {@code contentType} (none when null). */
    public static Reply put(String url, byte[] body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b);
    }

    /** Sends {@code request}, keeping the body's bytes and the headers. */
    public static Raw sendRaw(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> r = CLIENT.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Raw(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET url} with {@code Accept: accept}, keeping the body's bytes and the headers. */
    public static Raw getRaw(String url, String accept) {
        return sendRaw(HttpRequest.newBuilder(URI.create(url)).header("Accept", accept).GET());
    }

    public static Reply send(HttpRequest.Builder request) {
        Raw r = sendRaw(request);
        String body = new String(r.body(), StandardCharsets.UTF_8);
        JsonNode json = null;
        try {
            json = body.isEmpty() ? null : MAPPER.readTree(body);
        } catch (IOException notJson) {
            // left null: the assertion on json will say so
        }
        return new Reply(r.status(), json, body, r.headers().firstValue("Content-Type").orElse(""));
    }
}
