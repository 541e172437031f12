package dev.dcache.client.error;

/**
 * No answer from any host tried: connection refused or reset, or a connect or request timeout.
 * Thrown for reads, and for writes (POST, PUT, DELETE) that never reached a server (the connection
 * was refused, or not made in time); a write that may have reached one gets
 * {@link OutcomeUnknownException} instead.
 */
public final class ConnectionException extends DcacheException {
    /**
     * No answer.
     *
     * @param message what failed, naming the host
     * @param cause   the I/O failure
     */
    public ConnectionException(String message, Throwable cause) {
        super(0, message, cause);
    }
}
