package dev.dcache.aux.recovery;

import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.common.cluster.FencingTimes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Whether this aux node may answer reads, or must first catch up on writes it may have missed.
 *
 * <h2>Design: an owner serves reads only while it cannot be behind</h2>
 *
 * <p>A master acknowledges a write once every owner it could reach applied it. An owner it could
 * not reach (dead, paused, cut off) is <em>fenced</em>: after {@code fenceAfter} without any
 * contact, the master writes without it (see {@code dev.dcache.master.fencing.Fences}). Such an
 * owner holds older data than the others and must not answer reads, from any master, until it has
 * caught up. It cannot be told in time (it is unreachable, that is the point), so it has to know
 * by itself. This class is how: the node is <b>serving</b> or <b>recovering</b>, and goes
 * recovering (a <em>latch</em>) whenever it may have missed a write:
 * <ul>
 *   <li><b>at start</b>: whatever the snapshot holds may be old;</li>
 *   <li><b>after silence</b>: no heartbeat from any master for {@link FencingTimes#silenceLimit}
 *   (two of the longest heartbeat interval heard, at least 1 s). A node paused (SIGSTOP, a long
 *   GC), cut off, or whose masters are all gone hears nothing; the check runs on every read
 *   ({@link #serving}, one clock read) and on every heartbeat before it counts, so the first
 *   request after a pause already finds the node recovering, whichever thread runs first. A master
 *   fences a node only after {@link FencingTimes#fenceAfter} (one interval and a quarter second
 *   more) without contact, so the node has latched by then;</li>
 *   <li><b>when a master says so</b> ({@code fenced} in its heartbeat): it routes without this
 *   node, or gave up on a write to it. This covers what silence cannot: a node that restarted
 *   within the silence limit while some master still failed to reach it, or one that only one
 *   master cannot reach.</li>
 * </ul>
 * A recovering node still applies writes (versions order them), answers heartbeats and takes part
 * in rebalancing; it only refuses reads, and masters read another owner.
 *
 * <p><b>Leaving recovery.</b> The node may serve again once (1) it has heard masters again for a
 * collection window of {@code 2 x interval}, so every live master has had its say, (2) the latest
 * heartbeat of every master heard within three of its intervals arrived after the latch and does
 * not fence it, and then (3) a catch-up that <em>started</em> after (1) and (2) held pulled from its
 * co-owners every record they hold newer ({@link #readyToSync} hands out the latch's epoch,
 * {@link #synced} accepts only that epoch). A master stops fencing only once a fencing heartbeat
 * was answered (so the node has latched) and no write that skipped the node is still in flight;
 * such a write was applied on the other owners before it was acknowledged, so a catch-up that
 * starts after the master's next unfenced heartbeat sees it. Heartbeats carry a round number, so a
 * delayed one never overrides a newer one.
 *
 * <p><b>Long absence.</b> Deletes are remembered as tombstones for the tombstone TTL. A node away
 * for longer than half of it (silent while running, or restored from a snapshot that old) may hold
 * values whose deletes its peers have already forgotten, and would bring them back. Such a node
 * <em>rebuilds</em> (Cassandra's rule for a node down past {@code gc_grace}): its catch-up keeps
 * only the records it owns that another owner still holds, and its records are never handed to
 * anyone before that ({@link #rebuilding}).
 *
 * <p>Time comes from an injected monotonic clock, so tests advance it instead of sleeping. The
 * hot path ({@link #serving}) reads two volatile fields; everything else is {@code synchronized}.
 */
public final class Readiness implements AuxMetrics.ReadinessReadings {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);
    /** The interval assumed before any master told its own: the default. */
    static final long DEFAULT_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    private final LongSupplier nanos;
    private final InstantSource wall;
    private final long rebuildAfterNanos;

    private volatile boolean serving;
    /** When a master was last heard, monotonic; written under the lock, read by {@link #serving}. */
    private volatile long lastHeardNanos;
    /** Silence that latches: {@link FencingTimes#silenceLimit} of the longest interval heard; written under the lock. */
    private volatile long silenceLimitNanos = silenceLimit(DEFAULT_INTERVAL_NANOS);

    /** The last heartbeat of each master, by id; guarded by {@code this}. */
    private final Map<String, Heard> masters = new HashMap<>();
    /** Bumped by every latch; a catch-up counts only for the epoch it started in. Guarded by {@code this}. */
    private long epoch;
    /** Guarded by {@code this}. */
    private long latchedAtNanos;
    /** First heartbeat after the latch, or -1; guarded by {@code this}. */
    private long firstHeardAfterLatchNanos = -1;
    /** Guarded by {@code this}. */
    private boolean rebuild;
    /** Guarded by {@code this}. */
    private boolean draining;
    /** Wall-clock time up to which the data is known current (last contact before a latch); guarded by {@code this}. */
    private long asOfMillis;
    /** Guarded by {@code this}. */
    private String reason = "starting";
    /** Guarded by {@code this}. */
    private long latches;
    /** Guarded by {@code this}. */
    private long recoveries;

    private record Heard(long seq, long atNanos, long intervalNanos, boolean fenced) {
    }

    /**
     * A node that starts recovering.
     *
     * @param nanos        monotonic clock ({@code System::nanoTime} in production)
     * @param wall         wall clock, for the snapshot's "current as of" time
     * @param tombstoneTtl how long deletes are remembered; away for more than half of it means rebuilding
     */
    public Readiness(LongSupplier nanos, InstantSource wall, Duration tombstoneTtl) {
        this.nanos = nanos;
        this.wall = wall;
        this.rebuildAfterNanos = tombstoneTtl.toNanos() / 2;
        this.lastHeardNanos = nanos.getAsLong();
        this.latchedAtNanos = lastHeardNanos;
        this.asOfMillis = wall.millis();
    }

    /**
     * The data was restored from a snapshot current as of {@code asOfMillis}: if that is longer
     * ago than half the tombstone TTL, the node rebuilds. Call once, before serving.
     */
    public synchronized void restoredFrom(long asOfMillis) {
        this.asOfMillis = asOfMillis;
        long away = wall.millis() - asOfMillis;
        if (away > rebuildAfterNanos / 1_000_000) {
            rebuild = true;
            log.warn("the snapshot is {} s old, more than half the tombstone TTL: this node keeps only the records"
                    + " another owner still holds", away / 1000);
        }
    }

    /**
     * True when the node may answer a read now. Latches first when no master was heard for too long,
     * so a node that was paused or cut off refuses the first read after it comes back.
     */
    @Override
    public boolean serving() {
        if (!serving) {
            return false;
        }
        if (nanos.getAsLong() - lastHeardNanos > silenceLimitNanos) {
            silence();
            return false;
        }
        return true;
    }

    private synchronized void silence() {
        long now = nanos.getAsLong();
        if (serving && now - lastHeardNanos > silenceLimitNanos) {
            latchLocked("no master heard for " + (now - lastHeardNanos) / 1_000_000 + " ms", now, true);
        }
    }

    /**
     * A heartbeat from {@code master}.
     *
     * @param seq            its round number (0 from masters that do not number them)
     * @param intervalMillis the master's heartbeat interval
     * @param fenced         the master may acknowledge writes without this node
     */
    public synchronized void heard(String master, long seq, long intervalMillis, boolean fenced) {
        long now = nanos.getAsLong();
        long silent = now - lastHeardNanos;
        if (silent > silenceLimitNanos) {
            latchLocked("no master heard for " + silent / 1_000_000 + " ms", now, true);
        }
        Heard before = masters.get(master);
        boolean newer = before == null || seq == 0 || seq >= before.seq();
        if (newer) {
            masters.put(master, new Heard(seq, now, Duration.ofMillis(Math.max(1, intervalMillis)).toNanos(), fenced));
            if (fenced) {
                latchLocked("master " + master + " fences this node", now, false);
            }
        }
        forgetSilentMasters(now);
        long longest = masters.values().stream().mapToLong(Heard::intervalNanos).max().orElse(DEFAULT_INTERVAL_NANOS);
        silenceLimitNanos = silenceLimit(longest);
        if (!serving && firstHeardAfterLatchNanos < 0) {
            firstHeardAfterLatchNanos = now;
        }
        lastHeardNanos = now;
        if (serving) {
            asOfMillis = wall.millis();
        }
    }

    /**
     * Stops reads; a catch-up under way no longer counts. Caller holds the lock.
     *
     * @param silence the cause is silence: masters must be heard again for a whole window, even if the
     *                node was recovering already (a fence only adds its own condition: that master's
     *                later heartbeat must be unfenced)
     */
    private void latchLocked(String why, long now, boolean silence) {
        if (now - lastHeardNanos > rebuildAfterNanos && !rebuild) {
            rebuild = true;
            log.warn("no master heard for {} s, more than half the tombstone TTL: this node keeps only the records"
                    + " another owner still holds", (now - lastHeardNanos) / 1_000_000_000L);
        }
        epoch++;
        if (!serving && !silence) {
            return;
        }
        if (serving) {
            latches++;
            log.warn("not serving reads until caught up: {}", why);
        }
        serving = false;
        reason = why;
        latchedAtNanos = now;
        firstHeardAfterLatchNanos = -1;
    }

    private static long silenceLimit(long intervalNanos) {
        return FencingTimes.silenceLimit(Duration.ofNanos(intervalNanos)).toNanos();
    }

    private void forgetSilentMasters(long now) {
        masters.values().removeIf(h -> now - h.atNanos() > 3 * h.intervalNanos());
    }

    /**
     * The epoch a catch-up may start for now, or empty while the node serves, drains, or must still
     * hear from its masters (see the class comment).
     */
    public synchronized OptionalLong readyToSync() {
        if (serving || draining || firstHeardAfterLatchNanos < 0) {
            return OptionalLong.empty();
        }
        long now = nanos.getAsLong();
        forgetSilentMasters(now);
        long longest = masters.values().stream().mapToLong(Heard::intervalNanos).max().orElse(DEFAULT_INTERVAL_NANOS);
        if (masters.isEmpty() || now - lastHeardNanos > silenceLimitNanos
                || now - firstHeardAfterLatchNanos < 2 * longest) {
            return OptionalLong.empty();
        }
        for (Heard h : masters.values()) {
            if (h.fenced() || h.atNanos() < latchedAtNanos) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.of(epoch);
    }

    /**
     * A catch-up that started at {@code epoch} completed.
     *
     * @param onRing the node is on the ring it caught up for; a rebuilding node that is not keeps
     *               recovering, since its records could not be checked against any owner
     * @return true when the node serves again (no latch happened meanwhile)
     */
    public synchronized boolean synced(long epoch, boolean onRing) {
        if (epoch != this.epoch || serving || draining || (rebuild && !onRing)) {
            return false;
        }
        rebuild = false;
        serving = true;
        recoveries++;
        asOfMillis = wall.millis();
        log.info("caught up: serving reads again (was recovering: {})", reason);
        return true;
    }

    /** The node hands its records over before exiting: it serves no more reads. */
    public synchronized void drain() {
        draining = true;
        serving = false;
        reason = "draining";
    }

    /** True while the node's records must not be handed to anyone: it was away too long. */
    @Override
    public synchronized boolean rebuilding() {
        return rebuild;
    }

    /** Wall-clock time up to which the node's data is known current: now while serving. */
    public synchronized long asOfMillis() {
        return serving ? wall.millis() : asOfMillis;
    }

    /** Times the node stopped serving to catch up, since start (the start itself included). */
    @Override
    public synchronized long latches() {
        return latches + 1;
    }

    /** Times the node caught up and served again, since start. */
    @Override
    public synchronized long recoveries() {
        return recoveries;
    }

    /** Why the node is recovering now, or null while it serves. */
    public synchronized String reason() {
        return serving ? null : reason;
    }
}
