package dev.dcache.common.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.InternalPaths;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One JSON call of {@link HttpAuxClient} on the wire: builds the request (address, request
 * timeout, cluster token, JSON body), sends it, and turns what comes back into the answer's value
 * or an {@link AuxCallException} of the right kind (timeout, refused, I/O, not serving, bad status,
 * unreadable).
 */
final class AuxHttpCalls {
    private final HttpClient http;
    private final ObjectMapper mapper;
    private final Duration requestTimeout;
    private final String token;

    AuxHttpCalls(HttpClient http, ObjectMapper mapper, Duration requestTimeout, String token) {
        this.http = http;
        this.mapper = mapper;
        this.requestTimeout = requestTimeout;
        this.token = token;
    }

    /** A call to {@code node}'s {@code pathAndQuery}, bounded by the request timeout, with the token. */
    HttpRequest.Builder request(NodeAddress node, String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.port() + pathAndQuery))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("X-Cluster-Token", token);
        }
        return b;
    }

    /** {@code value} as a JSON request body. */
    HttpRequest.BodyPublisher body(Object value) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** GETs {@code pathAndQuery} from {@code node}; see {@link #send}. */
    HttpResponse<byte[]> get(NodeAddress node, String pathAndQuery) throws AuxCallException {
        return send(node, request(node, pathAndQuery).GET());
    }

    /** POSTs {@code value} as JSON to {@code node}'s {@code pathAndQuery}; see {@link #send}. */
    HttpResponse<byte[]> post(NodeAddress node, String pathAndQuery, Object value) throws AuxCallException {
        return send(node, request(node, pathAndQuery).POST(body(value)));
    }

    /** Sends the call; a failure to get an answer is an {@link AuxCallException} of its kind. */
    HttpResponse<byte[]> send(NodeAddress node, HttpRequest.Builder request) throws AuxCallException {
        return send(node, request, HttpResponse.BodyHandlers.ofByteArray());
    }

    <T> HttpResponse<T> send(NodeAddress node, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler)
            throws AuxCallException {
        try {
            return http.send(request.build(), handler);
        } catch (HttpConnectTimeoutException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "connect timed out", e);
        } catch (HttpTimeoutException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "request timed out", e);
        } catch (ConnectException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "connection refused", e);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "I/O error: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "interrupted", e);
        }
    }

    /** True for a node's "I do not serve reads now" answer: 503 with {@link InternalPaths#NOT_SERVING_HEADER}. */
    static boolean notServing(int status, java.net.http.HttpHeaders headers) {
        return status == 503 && headers.firstValue(InternalPaths.NOT_SERVING_HEADER).isPresent();
    }

    /** The body of a 200 answer; any other status is an {@link AuxCallException}. */
    static byte[] expectOk(NodeAddress node, HttpResponse<byte[]> r) throws AuxCallException {
        return expectOk(node, r.statusCode(), r.headers(), r.body());
    }

    static byte[] expectOk(NodeAddress node, int status, java.net.http.HttpHeaders headers, byte[] body)
            throws AuxCallException {
        if (notServing(status, headers)) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.NOT_SERVING, "does not serve reads now", null);
        }
        if (status != 200) {
            String text = new String(body, StandardCharsets.UTF_8);
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS,
                    "status " + status + ": " + (text.length() > 200 ? text.substring(0, 200) : text), null);
        }
        return body;
    }

    /** An answer's body as {@code type}; unreadable is an {@link AuxCallException}. */
    <T> T read(NodeAddress node, byte[] body, Class<T> type) throws AuxCallException {
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "unreadable answer: " + e.getMessage(), e);
        }
    }

    <T> T read(NodeAddress node, byte[] body, TypeReference<T> type) throws AuxCallException {
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "unreadable answer: " + e.getMessage(), e);
        }
    }

    static String enc(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8);
    }
}
