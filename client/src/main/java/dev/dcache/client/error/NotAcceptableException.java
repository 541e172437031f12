package dev.dcache.client.error;

/** A 406: the {@code Accept} header allowed neither the JSON envelope nor the value's own type. */
public final class NotAcceptableException extends BadRequestException {
    /**
     * A 406.
     *
     * @param message the server's error message
     */
    public NotAcceptableException(String message) {
        super(406, message);
    }
}
