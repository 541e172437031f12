package dev.dcache.common.client;

/**
 * How an aux node takes a write.
 *
 * @param ordering  the node orders the write (it is the key's first serving owner): it applies it
 *                  only if it serves reads, which means it holds every acknowledged write, so a
 *                  version it accepts is above every write acknowledged before. A node that does
 *                  not serve answers {@link AuxCallException.Kind#NOT_SERVING} and applies nothing.
 *                  Otherwise a copy (another owner, a repair, rebalancing): applied if its version is
 *                  newer, whatever the node's state
 * @param requestId for an ordering write, the client request it carries out (nginx's request id, or
 *                  the client's own {@code X-Request-Id}), or null: a node that already ordered a
 *                  write of the same key for the same request applies nothing again and answers
 *                  with that earlier try's outcome (a replay), so a request nginx retried on
 *                  another master, or a client resent, takes effect once
 */
public record WriteMode(boolean ordering, String requestId) {
    /** A copy. */
    public static final WriteMode COPY = new WriteMode(false, null);
    /** An ordering write without a request id. */
    public static final WriteMode ORDERING = new WriteMode(true, null);

    /** An ordering write for {@code requestId} (null: none). */
    public static WriteMode ordering(String requestId) {
        return requestId == null ? ORDERING : new WriteMode(true, requestId);
    }
}
