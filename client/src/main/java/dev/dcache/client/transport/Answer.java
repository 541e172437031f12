package dev.dcache.client.transport;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.Optional;

/**
 * A server's answer to one try of a {@link Call}.
 *
 * @param status  the HTTP status
 * @param headers the response headers
 * @param body    the body's bytes, empty for none
 * @param host    the base URI of the host that answered
 */
public record Answer(int status, HttpHeaders headers, byte[] body, URI host) {
    /** The first value of header {@code name}, when present. */
    public Optional<String> header(String name) {
        return headers.firstValue(name);
    }

    /** {@code Retry-After} in seconds as a duration, or null when absent or not a number of seconds. */
    public Duration retryAfter() {
        return header("Retry-After").map(String::trim).filter(v -> v.matches("[0-9]{1,9}"))
                .map(v -> Duration.ofSeconds(Long.parseLong(v))).orElse(null);
    }
}
