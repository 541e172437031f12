package dev.dcache.common.error;

/**
 * A request that cannot be served, with the status to answer. Handlers throw it; one mapper
 * (see {@link HttpServers}) turns it into {@code {"error": message}}.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final transient java.util.Map<String, String> headers;

    public ApiException(int status, String message) {
        this(status, message, java.util.Map.of());
    }

    public ApiException(int status, String message, java.util.Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = java.util.Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    public java.util.Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, message);
    }

    /**
     * 504: a write whose outcome is unknown: some owner may have applied it (an owner answered too
     * late, or not at all). Unlike 503, not "nothing happened"; nginx does not retry it.
     */
    public static ApiException outcomeUnknown(String message) {
        return new ApiException(504, message + "; the write may or may not have taken effect");
    }

    /** 503 with {@code Retry-After: 1}: the cluster cannot serve this now, a retry may succeed. */
    public static ApiException unavailable(String message) {
        return new ApiException(503, message, java.util.Map.of("Retry-After", "1"));
    }
}
