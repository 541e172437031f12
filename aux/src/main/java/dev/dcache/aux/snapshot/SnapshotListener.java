package dev.dcache.aux.snapshot;

import dev.dcache.aux.metrics.AuxMetrics;

/**
 * What a {@link Snapshotter} reports as it works, for metrics. Called on the thread doing the work
 * (the starting thread, the snapshot writer, or the one closing the node); implementations must
 * be quick and thread-safe. Every method defaults to doing nothing.
 */
public interface SnapshotListener {
    /** Ignores everything. */
    SnapshotListener NONE = new SnapshotListener() {
    };

    /** The start-up restore finished, whatever its outcome. */
    default void restored(RestoreResult result) {
    }

    /** A snapshot was committed at {@code atMillis}, {@code bytes} long, after {@code nanos}. */
    default void written(long nanos, long bytes, long atMillis) {
    }

    /** A snapshot write failed after {@code nanos}; the previous snapshot stays. */
    default void failed(long nanos) {
    }

    /**
     * At {@code atMillis} the committed snapshot was found to still hold everything the cache
     * holds (nothing changed since it was written or restored), so none was written.
     */
    default void upToDate(long atMillis) {
    }

    /** A listener that feeds the snapshot meters. */
    static SnapshotListener feeding(AuxMetrics.SnapshotMeters meters) {
        return new SnapshotListener() {
            @Override
            public void restored(RestoreResult result) {
                meters.restored(result.held(), result.bytes(), result.outcome() == RestoreResult.Outcome.RESTORED,
                        result.outcome() == RestoreResult.Outcome.DISCARDED);
            }

            @Override
            public void written(long nanos, long bytes, long atMillis) {
                meters.written(nanos, bytes, atMillis);
            }

            @Override
            public void failed(long nanos) {
                meters.failed(nanos);
            }

            @Override
            public void upToDate(long atMillis) {
                meters.upToDate(atMillis);
            }
        };
    }
}
