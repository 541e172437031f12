package dev.dcache.aux.snapshot;

import dev.dcache.aux.cache.LruCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Keeps an aux node's cache on disk across restarts: restores it at start, snapshots it
 * periodically while it changes, and once more on graceful shutdown.
 *
 * <h2>Design</h2>
 *
 * <p><b>When.</b> {@link #start} runs {@link #snapshotIfChanged} on a daemon thread every interval.
 * It compares {@link LruCache#changes()} with the reading taken just before the last committed
 * snapshot and writes only if it moved, so an idle node does no I/O. The reading is taken
 * <em>before</em> the cache is walked: a write racing with the walk may or may not make it into
 * this snapshot, but it moves the counter past the saved reading, so the next interval writes
 * again. Reads do not count as changes, so the recency order on disk is that of the last write.
 * {@link #close} writes a last snapshot after the node has stopped serving, so a graceful
 * shutdown loses nothing; a crash loses at most the writes of the last interval.
 *
 * <p><b>Not stalling requests.</b> The walk is {@link LruCache#forEach}, which holds one
 * segment's lock only while copying that segment's records and encodes and writes them with no
 * lock held; a request waits at most one segment copy, and only if it hashes to that segment.
 *
 * <p><b>Atomicity and damage.</b> {@link SnapshotWriter} commits by rename, so
 * {@code snapshot.bin} is always a whole snapshot or absent; a leftover {@code snapshot.tmp} is
 * an interrupted write and is deleted at start. A failed write leaves the previous snapshot in
 * place and the saved reading unchanged, so the next interval retries. At start the file is
 * verified whole ({@link SnapshotReader#verify}) before a single record is loaded; a file that is
 * damaged, truncated, empty, of another format version or unreadable is moved aside as
 * {@code snapshot.bin.corrupt-<epochmillis>} and the node starts empty. It never stops a node
 * from starting: the cache is a cache, and the masters re-replicate what it lacks.
 *
 * <p><b>Loading.</b> Records go through {@link LruCache#put} in file order (least recently used
 * first within each segment), so if the capacity shrank the cache evicts the oldest and keeps the
 * most recent of each segment. Records whose absolute expiry has passed are dropped; the others
 * keep their expiry, so a TTL keeps counting down from where it was, downtime included.
 *
 * <p>Thread-safety: writes, the final flush and {@link #close} are serialized on one lock;
 * {@link #restore} must run once, before the node serves and before {@link #start}.
 */
public final class Snapshotter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

    private final Path dir;
    private final Path file;
    private final LruCache cache;
    private final InstantSource clock;
    private final LongSupplier asOf;
    private final SnapshotListener listener;

    private final Object writeLock = new Object();
    /** {@link LruCache#changes()} when the committed snapshot last matched the cache, -1 for never; guarded by writeLock. */
    private long savedChanges = -1;
    /** Guarded by writeLock. */
    private boolean closed;
    /** Set by {@link #start}; null when periodic snapshots are off. */
    private volatile ScheduledExecutorService writer;

    /**
     * @param dir      the node's data directory, created if missing
     * @param cache    the cache to restore into and snapshot
     * @param clock    "now" for expiry on load and for timestamps; also times restores and writes
     * @param listener told about every restore, write and failure, for metrics
     */
    public Snapshotter(Path dir, LruCache cache, InstantSource clock, SnapshotListener listener) {
        this(dir, cache, clock, clock::millis, listener);
    }

    /**
     * @param asOf the wall-clock time up to which the cache is known current with the cluster, written
     *             as the snapshot's time: now while the node serves, the last contact with a master
     *             before it may have missed writes otherwise ({@code Readiness#asOfMillis})
     */
    public Snapshotter(Path dir, LruCache cache, InstantSource clock, LongSupplier asOf, SnapshotListener listener) {
        this.dir = dir;
        this.file = dir.resolve(SnapshotFormat.FILE_NAME);
        this.cache = cache;
        this.clock = clock;
        this.asOf = asOf;
        this.listener = listener;
    }

    /**
     * Loads the snapshot into the (empty) cache. Never throws: whatever is wrong with the file
     * or the directory is logged as an ERROR and the node starts empty.
     */
    public RestoreResult restore() {
        long start = clock.millis();
        prepareDirectory();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            RestoreResult r = new RestoreResult(RestoreResult.Outcome.NO_SNAPSHOT, file, 0, 0, 0, 0, 0,
                    since(start), null, null);
            log.info("no snapshot at {}; starting empty", file);
            markSaved();
            listener.restored(r);
            return r;
        }
        long now = clock.millis();
        long[] counts = new long[3]; // loaded, expired, rejected
        long bytes = 0;
        RestoreResult r;
        try {
            bytes = Files.size(file);
            SnapshotReader.verify(file);
            SnapshotFormat.Header header = SnapshotReader.read(file, e -> {
                if (e.isExpiredAt(now)) {
                    counts[1]++;
                } else if (cache.put(e).applied()) {
                    counts[0]++;
                } else {
                    counts[2]++;
                }
            });
            r = new RestoreResult(RestoreResult.Outcome.RESTORED, file, counts[0], counts[1], counts[2], cache.size(),
                    bytes, since(start), null, null, header.createdAtMillis());
            log.info("restored {} records from {} ({} bytes) in {} ms: {} expired dropped, {} evicted to fit, {} refused as too large",
                    r.held(), file, bytes, r.took().toMillis(), r.expired(), r.loaded() - r.held(), r.rejected());
            markSaved();
        } catch (CorruptSnapshotException | IOException | RuntimeException e) {
            boolean bug = e instanceof RuntimeException && !(e instanceof UncheckedIOException);
            String problem = e instanceof CorruptSnapshotException ? e.getMessage()
                    : bug ? "failed to load: " + e : "unreadable: " + e;
            Path movedTo = moveAside();
            r = new RestoreResult(RestoreResult.Outcome.DISCARDED, file, counts[0], counts[1], counts[2], cache.size(),
                    bytes, since(start), problem, movedTo);
            log.error("snapshot {} is unusable: {}; {}; starting {}", file, problem,
                    movedTo == null ? "could not move it aside" : "moved it to " + movedTo.getFileName(),
                    counts[0] == 0 ? "empty" : "with the " + counts[0] + " records read before the failure",
                    bug ? e : null); // a stack trace only for what is not a plain I/O or format problem
            // savedChanges stays -1: the first interval writes a good snapshot again
        }
        listener.restored(r);
        return r;
    }

    /**
     * Writes a snapshot unless nothing changed since the committed one. Never throws: a failure
     * is logged, counted and retried next time.
     */
    public WriteResult snapshotIfChanged() {
        synchronized (writeLock) {
            if (closed) {
                return WriteResult.skipped(WriteResult.Outcome.CLOSED);
            }
            return writeIfChanged();
        }
    }

    /**
     * Writes a snapshot every {@code interval} on a daemon thread, if anything changed; zero
     * turns periodic snapshots off (restore and the final snapshot on {@link #close} still happen).
     */
    public void start(Duration interval) {
        if (interval.isZero()) {
            log.info("periodic snapshots are off; the cache is saved only on graceful shutdown");
            return;
        }
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "snapshot-writer");
            t.setDaemon(true);
            return t;
        });
        long every = interval.toMillis();
        s.scheduleWithFixedDelay(this::snapshotIfChanged, every, every, TimeUnit.MILLISECONDS);
        writer = s;
    }

    /**
     * Stops the periodic writer, then writes a final snapshot if anything changed. Call it after
     * the node stopped accepting writes, so the snapshot holds every acknowledged one. Later calls
     * do nothing.
     */
    @Override
    public void close() {
        ScheduledExecutorService s = writer;
        if (s != null) {
            s.shutdown(); // no interrupt: a write in progress finishes, and the one below waits for it
        }
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            WriteResult r = writeIfChanged();
            closed = true;
            switch (r.outcome()) {
                case WRITTEN -> log.info("final snapshot: {} records, {} bytes, {} ms", r.records(), r.bytes(),
                        r.took().toMillis());
                case UNCHANGED -> log.info("final snapshot: unchanged since the last one");
                default -> { } // the failure is logged already
            }
        }
    }

    /** Guarded by writeLock. */
    private WriteResult writeIfChanged() {
        long changes = cache.changes();
        if (changes == savedChanges) {
            listener.upToDate(clock.millis());
            return WriteResult.skipped(WriteResult.Outcome.UNCHANGED);
        }
        long start = clock.millis();
        try {
            SnapshotWriter.Written w = SnapshotWriter.write(cache, dir, asOf.getAsLong());
            Duration took = since(start);
            savedChanges = changes;
            listener.written(took.toNanos(), w.bytes(), clock.millis());
            log.debug("snapshot: {} records, {} bytes, {} ms", w.records(), w.bytes(), took.toMillis());
            return new WriteResult(WriteResult.Outcome.WRITTEN, w.records(), w.bytes(), took, null);
        } catch (IOException | RuntimeException e) {
            Duration took = since(start);
            listener.failed(took.toNanos());
            if (e instanceof IOException) {
                log.error("snapshot to {} failed, keeping the previous one; retrying next interval: {}", file, e.toString());
            } else {
                log.error("snapshot to {} failed, keeping the previous one; retrying next interval", file, e);
            }
            return new WriteResult(WriteResult.Outcome.FAILED, 0, 0, took, e.toString());
        }
    }

    private void markSaved() {
        synchronized (writeLock) {
            savedChanges = cache.changes();
        }
        listener.upToDate(clock.millis());
    }

    private void prepareDirectory() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            log.error("cannot create data directory {}: {}; snapshots will fail until it exists", dir, e.toString());
            return;
        }
        Path tmp = dir.resolve(SnapshotFormat.TMP_NAME);
        try {
            if (Files.deleteIfExists(tmp)) {
                log.warn("deleted {}, left by a snapshot write that did not finish", tmp);
            }
        } catch (IOException e) {
            log.error("cannot delete leftover {}: {}", tmp, e.toString());
        }
    }

    /** Moves the damaged file out of the way; null when that fails too. */
    private Path moveAside() {
        long now = clock.millis();
        Path target = dir.resolve(SnapshotFormat.CORRUPT_PREFIX + now);
        for (int i = 1; Files.exists(target, LinkOption.NOFOLLOW_LINKS); i++) {
            target = dir.resolve(SnapshotFormat.CORRUPT_PREFIX + now + "-" + i);
        }
        try {
            return Files.move(file, target);
        } catch (IOException e) {
            log.error("cannot move unusable snapshot {} aside: {}", file, e.toString());
            return null;
        }
    }

    /** Time since {@code startMillis} on the injected clock; a wall-clock step back counts as none. */
    private Duration since(long startMillis) {
        return Duration.ofMillis(Math.max(0, clock.millis() - startMillis));
    }
}
