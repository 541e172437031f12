package dev.dcache.system;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A blocking HTTP/1.1 client for the system tests: every call has a timeout, and every answer
 * keeps the request it answers so assertion messages say what was asked. Thread-safe.
 */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // nginx and the nodes speak HTTP/1.1 on plain ports
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** One answer, with the request it answers, printed compactly in assertion messages. */
    record Response(String request, int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        @Override
        public String toString() {
            String shown = body.length() > 300 ? body.substring(0, 300) + "...(" + body.length() + " chars)" : body;
            return request + " -> " + status + " " + contentType + " " + shown;
        }
    }

    /** A key as one path segment: percent-encoded UTF-8, dot segments included (RFC 3986 5.2.4). */
    static String dataPath(String key) {
        String segment = URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
        if (segment.equals(".") || segment.equals("..")) {
            // sent literally, "." and ".." would be resolved away as path navigation
            segment = segment.replace(".", "%2E");
        }
        return "/data/" + segment;
    }

    /** A call that throws what an HTTP call throws, inside a condition that {@code Await} polls. */
    interface Call<T> {
        T run() throws Exception;
    }

    /** Runs {@code call}, its checked exceptions rethrown unchecked (an interrupt kept). */
    static <T> T unchecked(Call<T> call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String toJson(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    Response get(String url, String... headers) throws IOException, InterruptedException {
        return send("GET", url, null, headers);
    }

    Response post(String url, Object body) throws IOException, InterruptedException {
        return send("POST", url, toJson(body));
    }

    /**
     * @param body    sent as {@code application/json}, or no body when null
     * @param headers name, value, name, value...
     */
    Response send(String method, String url, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT);
        if (headers.length > 0) {
            request.headers(headers);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        String path = URI.create(url).getRawPath();
        return new Response(method + " " + path, response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""), response.body());
    }
}
