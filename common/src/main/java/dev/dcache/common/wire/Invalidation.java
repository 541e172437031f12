package dev.dcache.common.wire;

import java.util.List;

/**
 * Keys one master wrote or deleted, pushed to the other masters that keep a near cache so they
 * drop their copies well before the staleness bound ({@link InternalPaths#INVALIDATE}).
 *
 * @param from the sending master's id (for logs and metrics)
 * @param keys the keys written, at most {@link #MAX_KEYS}
 */
public record Invalidation(String from, List<String> keys) {
    /** Most keys in one push; a sender splits longer runs. */
    public static final int MAX_KEYS = 4096;
}
