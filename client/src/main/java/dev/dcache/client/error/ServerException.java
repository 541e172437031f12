package dev.dcache.client.error;

/** A 5xx answer: the cluster's own trouble, not the request's. */
public class ServerException extends DcacheException {
    /**
     * A server's failure.
     *
     * @param status  the 5xx status
     * @param message the server's error message, or a description of the answer
     */
    public ServerException(int status, String message) {
        super(status, message, null);
    }
}
