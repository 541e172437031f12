package dev.dcache.common.wire;

import java.util.List;

/**
 * Keys one master wrote or deleted, pushed to the other masters that keep a near cache so they
 * drop their copies well before the staleness bound ({@link InternalPaths#INVALIDATE}).
 *
 * <p>Pushes are best effort, so each carries where it stands in its sender's stream to this
 * receiver: {@code epoch} names the stream (new whenever the sender starts pushing to this
 * receiver), {@code seq} counts its pushes (1, 2, ...) and skips a number when a key could not be
 * queued. A receiver that sees anything but the next number of a stream it knows may have missed
 * keys and drops its whole near cache. An idle sender pushes an empty list now and then, so a
 * silence means the sender is gone or cut off.
 *
 * @param from  the sending master's id
 * @param epoch the stream this push belongs to, chosen at random by the sender
 * @param seq   the push's number in its stream, from 1
 * @param keys  the keys written, at most {@link #MAX_KEYS}; empty for a keep-alive
 */
public record Invalidation(String from, long epoch, long seq, List<String> keys) {
    /** Most keys in one push; a sender splits longer runs. */
    public static final int MAX_KEYS = 4096;
}
