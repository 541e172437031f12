package dev.dcache.client.error;

/**
 * Any failure of a call to the cache: the base of every exception the client throws, unchecked.
 * Subtypes say whose fault it was and whether a retry can help:
 *
 * <ul>
 *   <li>{@link BadRequestException} (4xx, with {@link NotAcceptableException} and
 *       {@link PayloadTooLargeException}): the request was refused, nothing was written; sending it
 *       again will not help.</li>
 *   <li>{@link UnavailableException} (503): nothing was applied; the client already retried.</li>
 *   <li>{@link OutcomeUnknownException} (504, or no answer to a write): the write may or may not
 *       have been applied.</li>
 *   <li>{@link ServerException} (any other 5xx) and {@link ConnectionException} (no answer).</li>
 * </ul>
 * A plain {@code DcacheException} means the answer could not be understood, or the call was
 * interrupted.
 */
public class DcacheException extends RuntimeException {
    /** The HTTP status of the answer, 0 when there was none. */
    private final int status;

    /**
     * A failure of a call.
     *
     * @param status  the HTTP status of the answer, 0 when there was none
     * @param message what went wrong
     * @param cause   the underlying failure, or null
     */
    public DcacheException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status that caused this, or 0 when no answer (or no answer with a status) came. */
    public int status() {
        return status;
    }
}
