package dev.dcache.client.error;

/**
 * A 4xx answer: the server refused the request (invalid key, value or TTL, unknown route, wrong
 * method, ...) and wrote nothing. Never retried: the same request would be refused again. The
 * message is the server's {@code {"error"}} text.
 */
public class BadRequestException extends DcacheException {
    /**
     * A refused request.
     *
     * @param status  the 4xx status
     * @param message the server's error message
     */
    public BadRequestException(int status, String message) {
        super(status, message, null);
    }
}
