package dev.dcache.common.client;

/**
 * A call to an aux node that did not produce an answer: the caller may fail over to a replica.
 * {@link #kind()} says why, for metrics and for the health tracker (a refused connection is
 * stronger evidence of a dead node than a slow answer).
 */
public final class AuxCallException extends Exception {
    /** Why the call failed. */
    public enum Kind {
        TIMEOUT, REFUSED, IO, BAD_STATUS,
        /** The node answered but does not serve reads now (recovering, draining): not a health failure. */
        NOT_SERVING
    }

    private final String nodeId;
    private final Kind kind;

    public AuxCallException(String nodeId, Kind kind, String message, Throwable cause) {
        super(nodeId + ": " + message, cause, false, false);
        this.nodeId = nodeId;
        this.kind = kind;
    }

    public String nodeId() {
        return nodeId;
    }

    public Kind kind() {
        return kind;
    }
}
