package dev.dcache.common.client;

/** How an aux node takes a write. */
public enum WriteMode {
    /**
     * The node orders the write (it is the first serving owner of the key): it applies it only if
     * it serves reads, which means it holds every acknowledged write, so a version it accepts is
     * above every write acknowledged before. A node that does not serve answers
     * {@link AuxCallException.Kind#NOT_SERVING} and applies nothing.
     */
    ORDERING,
    /** A copy (another owner, a repair, rebalancing): applied if its version is newer, whatever the node's state. */
    COPY
}
