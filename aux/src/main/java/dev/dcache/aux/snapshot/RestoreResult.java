package dev.dcache.aux.snapshot;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What {@link Snapshotter#restore()} did at start.
 *
 * @param outcome  whether a snapshot was restored, absent, or discarded as unusable
 * @param file     the snapshot file looked for
 * @param loaded   records the cache accepted
 * @param expired  records dropped because their expiry (value TTL or tombstone TTL) had passed
 * @param rejected records the cache refused (heavier than one segment's byte budget)
 * @param held     records in the cache afterwards: fewer than {@code loaded} when it had to evict
 *                 to fit a smaller capacity
 * @param bytes    the file's size, 0 when there was none
 * @param took     time spent, checking and loading
 * @param problem  for {@link Outcome#DISCARDED}, what was wrong; otherwise null
 * @param movedTo  for {@link Outcome#DISCARDED}, where the file was moved; null when it was not
 *                 moved (moving failed too, see the log)
 * @param asOfMillis for {@link Outcome#RESTORED}, the wall-clock time up to which the snapshot's data
 *                 was known current (its header's time); 0 otherwise
 */
public record RestoreResult(Outcome outcome, Path file, long loaded, long expired, long rejected, long held,
                            long bytes, Duration took, String problem, Path movedTo, long asOfMillis) {

    /** A result that does not say how current the data was. */
    public RestoreResult(Outcome outcome, Path file, long loaded, long expired, long rejected, long held,
                         long bytes, Duration took, String problem, Path movedTo) {
        this(outcome, file, loaded, expired, rejected, held, bytes, took, problem, movedTo, 0);
    }

    /** How the restore went. */
    public enum Outcome {
        /** The snapshot was whole and its live records were loaded. */
        RESTORED,
        /** There was no snapshot; the node starts empty. */
        NO_SNAPSHOT,
        /**
         * The snapshot was damaged, of another format version, or unreadable: it was moved aside
         * and the node starts empty.
         */
        DISCARDED
    }
}
