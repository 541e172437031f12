package dev.dcache.client.error;

import java.time.Duration;
import java.util.Optional;

/**
 * A 503 that outlasted the client's retries: nothing was applied (no owner of the key was
 * reachable, or every master tried was at its limits). Safe to try again later.
 */
public final class UnavailableException extends ServerException {
    private final transient Duration retryAfter;

    /**
     * A 503 after the retries.
     *
     * @param message    the server's error message
     * @param retryAfter the last answer's {@code Retry-After}, or null when it had none
     */
    public UnavailableException(String message, Duration retryAfter) {
        super(503, message);
        this.retryAfter = retryAfter;
    }

    /** How long the server asked to wait before the next try, when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
