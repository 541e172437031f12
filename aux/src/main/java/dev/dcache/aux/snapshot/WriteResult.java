package dev.dcache.aux.snapshot;

import java.time.Duration;

/**
 * What one {@link Snapshotter#snapshotIfChanged()} did.
 *
 * @param outcome whether a snapshot was written, skipped or failed
 * @param records records written, for {@link Outcome#WRITTEN}
 * @param bytes   the file's size, for {@link Outcome#WRITTEN}
 * @param took    time spent writing; zero when nothing was attempted
 * @param problem for {@link Outcome#FAILED}, what went wrong; otherwise null
 */
public record WriteResult(Outcome outcome, long records, long bytes, Duration took, String problem) {

    /** How the attempt went. */
    public enum Outcome {
        /** A new snapshot was committed. */
        WRITTEN,
        /** Nothing changed since the committed snapshot; none was written. */
        UNCHANGED,
        /** Writing failed; the previous snapshot stays and the next attempt writes again. */
        FAILED,
        /** The snapshotter was closed; nothing more is written. */
        CLOSED
    }

    static WriteResult skipped(Outcome outcome) {
        return new WriteResult(outcome, 0, 0, Duration.ZERO, null);
    }
}
