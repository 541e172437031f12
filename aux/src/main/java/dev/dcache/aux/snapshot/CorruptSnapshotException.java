package dev.dcache.aux.snapshot;

/** A snapshot file that is not a whole, well-formed snapshot of this format version; the message says why. */
final class CorruptSnapshotException extends Exception {
    CorruptSnapshotException(String problem) {
        super(problem);
    }
}
