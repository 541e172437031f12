/**
 * Persistence of the aux node's cache across restarts: {@link dev.dcache.aux.snapshot.Snapshotter}
 * restores the snapshot at start, writes one periodically when the cache changed and once more at
 * shutdown, and commits by rename so {@code snapshot.bin} is always whole (a damaged file is moved aside
 * and the node starts empty). The file format and its reader and writer are package-private ({@code
 * SnapshotFormat}, {@code SnapshotReader}, {@code SnapshotWriter}); {@link
 * dev.dcache.aux.snapshot.RestoreResult}, {@link dev.dcache.aux.snapshot.WriteResult} and {@link
 * dev.dcache.aux.snapshot.SnapshotListener} report what happened.
 */
package dev.dcache.aux.snapshot;
