package dev.dcache.client.error;

/**
 * A 413: a value over the server's {@code MAX_VALUE_BYTES}, or a body (bulk write, bulk read's
 * answer) over its {@code MAX_BODY_BYTES}. Nothing was written; split a bulk call to get past it.
 */
public final class PayloadTooLargeException extends BadRequestException {
    /**
     * A 413.
     *
     * @param message the server's error message
     */
    public PayloadTooLargeException(String message) {
        super(413, message);
    }
}
