package dev.dcache.client.error;

/**
 * A write whose outcome is unknown: some owner may have applied it. Thrown for a 504, and for a
 * write that got no answer after it may have reached the server (reset, request timeout). Reading
 * the key tells which; writing again with the same request id is safe (the client does so itself
 * unless {@code retryOutcomeUnknown} is off).
 */
public final class OutcomeUnknownException extends DcacheException {
    /**
     * A write of unknown outcome.
     *
     * @param status  504, or 0 when no answer came
     * @param message what happened
     * @param cause   the I/O failure when no answer came, else null
     */
    public OutcomeUnknownException(int status, String message, Throwable cause) {
        super(status, message, cause);
    }
}
