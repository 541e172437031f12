package dev.dcache.aux.recovery;

import dev.dcache.aux.antientropy.AntiEntropy;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The loop that acts on {@link Readiness}: every {@link #TICK} it lets the readiness notice silence,
 * runs the catch-up once the readiness allows one, and, while the node serves and its data is
 * placed, the periodic anti-entropy with its co-owners. Catch-up and anti-entropy run on this one
 * thread, so they never overlap.
 *
 * <p>The catch-up compares with the owners under the ring all masters agree on; while they
 * disagree it waits. A node the agreed ring leaves out has no co-owner to compare with and no read
 * to answer: it serves again at once, unless it rebuilds, which needs a ring it is on.
 */
public final class Recovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    static final Duration TICK = Duration.ofMillis(100);

    private final String selfId;
    private final Readiness readiness;
    private final AntiEntropy antiEntropy;
    private final Supplier<RingSpec> agreedRing;
    private final BooleanSupplier placed;
    private final Runnable onCaughtUp;
    private final LongSupplier nanos;
    private final long antiEntropyEveryNanos;
    private final ScheduledExecutorService loop;
    private long nextAntiEntropyNanos;

    /**
     * @param agreedRing          the ring all masters agree on, or null
     * @param placed              true when this node's data is placed for the agreed ring (no rebalance pending)
     * @param onCaughtUp          called after the node serves again (e.g. to let a held-back rebalance run)
     * @param antiEntropyInterval period of anti-entropy while serving; zero turns it off
     */
    public Recovery(String selfId, Readiness readiness, AntiEntropy antiEntropy, Supplier<RingSpec> agreedRing,
                    BooleanSupplier placed, Runnable onCaughtUp, LongSupplier nanos, Duration antiEntropyInterval) {
        this.selfId = selfId;
        this.readiness = readiness;
        this.antiEntropy = antiEntropy;
        this.agreedRing = agreedRing;
        this.placed = placed;
        this.onCaughtUp = onCaughtUp;
        this.nanos = nanos;
        this.antiEntropyEveryNanos = antiEntropyInterval.toNanos();
        this.nextAntiEntropyNanos = nanos.getAsLong() + antiEntropyEveryNanos;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "recovery");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the loop. */
    public void start() {
        loop.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One round: catch up if allowed, else anti-entropy when due. Package-private for tests. */
    void tick() {
        try {
            if (readiness.serving()) {
                antiEntropyIfDue();
                return;
            }
            OptionalLong epoch = readiness.readyToSync();
            if (epoch.isPresent()) {
                catchUp(epoch.getAsLong());
            }
        } catch (RuntimeException e) {
            log.error("recovery round failed", e);
        }
    }

    private void catchUp(long epoch) {
        RingSpec ring = agreedRing.get();
        if (ring == null) {
            return; // masters disagree or are silent: wait for one ring
        }
        boolean onRing = ring.nodes().stream().map(NodeAddress::id).anyMatch(selfId::equals);
        boolean rebuild = readiness.rebuilding();
        if (!onRing) {
            if (readiness.synced(epoch, false)) {
                onCaughtUp.run();
            }
            return;
        }
        long start = nanos.getAsLong();
        AntiEntropy.Outcome o = antiEntropy.reconcile(ring, rebuild, false);
        if (!o.complete()) {
            return; // some co-owner did not answer: the next tick tries again
        }
        log.info("{} with {} co-owners in {} ms: {} newer records taken, {} sent, {} dropped",
                rebuild ? "rebuilt" : "caught up", o.peers(), (nanos.getAsLong() - start) / 1_000_000, o.pulled(),
                o.pushed(), o.dropped());
        if (readiness.synced(epoch, true)) {
            nextAntiEntropyNanos = nanos.getAsLong() + antiEntropyEveryNanos;
            onCaughtUp.run();
        }
    }

    private void antiEntropyIfDue() {
        long now = nanos.getAsLong();
        if (antiEntropyEveryNanos == 0 || now - nextAntiEntropyNanos < 0) {
            return;
        }
        nextAntiEntropyNanos = now + antiEntropyEveryNanos;
        RingSpec ring = agreedRing.get();
        if (ring == null || !placed.getAsBoolean()
                || ring.nodes().stream().map(NodeAddress::id).noneMatch(selfId::equals)) {
            return; // data still moving: rebalancing repairs placement first
        }
        AntiEntropy.Outcome o = antiEntropy.reconcile(ring, false, true);
        if (o.pulled() + o.pushed() > 0) {
            log.info("anti-entropy with {} peers: {} newer records taken, {} sent", o.peers(), o.pulled(), o.pushed());
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
