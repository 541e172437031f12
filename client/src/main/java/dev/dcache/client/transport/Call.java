package dev.dcache.client.transport;

import java.util.Map;
import java.util.Objects;

/**
 * One logical request, sent as it is on every try (a write's {@code X-Request-Id} included, which
 * is what makes its retries safe).
 *
 * @param method           the HTTP method
 * @param pathAndQuery     what follows a host's base URI, starting with {@code /}, already encoded
 * @param headers          request headers, the same on every try
 * @param body             the request body, or null for none
 * @param write            whether it may change data (POST, PUT, DELETE): decides what an
 *                         ambiguous failure means and whether it is retried
 * @param notFoundIsAnswer whether a 404 is an answer to hand back (a missing key) rather than an error
 */
public record Call(String method, String pathAndQuery, Map<String, String> headers, byte[] body, boolean write,
                   boolean notFoundIsAnswer) {
    /**
     * Checks the parts and copies the headers.
     *
     * @throws NullPointerException when the method, path or headers are missing
     */
    public Call {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(pathAndQuery, "pathAndQuery");
        headers = Map.copyOf(headers);
    }
}
