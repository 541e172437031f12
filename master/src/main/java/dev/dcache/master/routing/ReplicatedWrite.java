package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.http.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.master.fencing.Fences;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One client write or delete of one key, carried to every owner until it is acknowledged or fails.
 *
 * <h2>Design: a write that starts after another was acknowledged always wins</h2>
 *
 * <p>Owners keep, per key, the record with the highest version and ignore older writes, so the
 * version order must follow real time: if write A was acknowledged before write B started, B's
 * version must exceed A's on every owner. Versions come from each master's hybrid logical clock,
 * and two masters' clocks do not see each other: B's master may issue a lower version than A's
 * (same millisecond with a smaller counter, or a clock that runs behind). So an owner's answer is
 * checked: an owner that holds a <em>higher</em> version than ours did not take our write. The
 * master then folds that version into its clock ({@link HybridLogicalClock#observe}) and writes
 * again, to every owner, with a version above it. A is on every owner that had not been fenced
 * when A was acknowledged (below), so B meets it on at least one owner and ends above it
 * everywhere. Concurrent writes of one key may bump each other a few times; every owner ends with
 * the same highest version, and after {@link #MAX_CONFLICTS} rounds the write gives up with 503
 * (it may or may not have been applied, as any failed write).
 *
 * <p><b>An owner that does not answer</b> is retried with the same version (an owner applies it
 * at most once: equal versions are ignored) after a short backoff, until the write's deadline. It
 * may be left out only once {@link Fences} allows it: the owner has been unreachable long enough
 * that it refuses reads by itself and will catch up from the other owners before serving again.
 * Then the write is acknowledged by the owners that applied it. With no owner applied, or an
 * owner neither reached nor fenced by the deadline, it fails with 503.
 *
 * <p>Each round waits for every owner it asked (each call is bounded by the client's request
 * timeout) and is evaluated on the thread that completed the last call; a retry round is started
 * from a delayed executor. Rounds never overlap, so the state needs no lock (each round's futures
 * carry the happens-before edge).
 */
final class ReplicatedWrite {
    /** Version conflicts after which a write gives up (a key written concurrently without pause). */
    static final int MAX_CONFLICTS = 16;
    private static final long FIRST_BACKOFF_MILLIS = 25;
    private static final long MAX_BACKOFF_MILLIS = 400;

    /** What a write needs from the router. */
    record Context(AuxClient client, HybridLogicalClock versions, Fences fences,
                   Consumer<AuxCallException> failures, Listener listener, long timeoutNanos) {
    }

    /** Hears what a write did, for metrics. */
    interface Listener {
        /** An owner held a newer version: the write goes again with a higher one. */
        void conflict();

        /** An owner did not answer and is asked again. */
        void retry();

        /** An owner was left out of an acknowledged write: it was fenced. */
        void leftOut();
    }

    /**
     * The acknowledged write.
     *
     * @param version  the version the owners hold
     * @param replicas owners that applied it
     * @param existed  for a delete: some owner held a live value
     */
    record Result(long version, int replicas, boolean existed) {
    }

    private final Context ctx;
    private final String key;
    private final String value;
    private final long expiresAt;
    private final List<NodeAddress> owners;
    private final long deadlineNanos;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final Set<String> applied = new HashSet<>();
    private final List<Fences.Skip> skips = new ArrayList<>();
    private long version;
    private Entry entry;
    private boolean existed;
    private int conflicts;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;

    private ReplicatedWrite(Context ctx, String key, String value, long expiresAt, List<NodeAddress> owners) {
        this.ctx = ctx;
        this.key = key;
        this.value = value;
        this.expiresAt = expiresAt;
        this.owners = owners;
        this.deadlineNanos = ctx.fences().now() + ctx.timeoutNanos();
    }

    /**
     * Starts writing {@code value} (null: a delete) to {@code owners}; never blocks.
     *
     * @return completes with the result, or exceptionally with an {@link ApiException} (413, 503)
     */
    static CompletableFuture<Result> start(Context ctx, String key, String value, long expiresAt,
                                           List<NodeAddress> owners) {
        ReplicatedWrite w = new ReplicatedWrite(ctx, key, value, expiresAt, owners);
        w.newVersion();
        w.round(owners);
        return w.result;
    }

    private void newVersion() {
        version = ctx.versions().next();
        entry = value == null ? null : new Entry(key, value, version, expiresAt);
        applied.clear();
        existed = false;
    }

    private void round(List<NodeAddress> targets) {
        Object[] answers = new Object[targets.size()];
        CompletableFuture<?>[] calls = new CompletableFuture<?>[targets.size()];
        for (int i = 0; i < calls.length; i++) {
            int slot = i;
            calls[i] = Futures.started(() -> call(targets.get(slot)))
                    .handle((answer, failure) -> answers[slot] = failure != null ? Futures.cause(failure) : answer);
        }
        CompletableFuture.allOf(calls).thenRun(() -> {
            try {
                evaluate(targets, answers);
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    private CompletableFuture<?> call(NodeAddress node) {
        return value == null ? ctx.client().startDelete(node, key, version) : ctx.client().startPut(node, entry);
    }

    private void evaluate(List<NodeAddress> targets, Object[] answers) {
        long newest = 0;
        List<NodeAddress> failed = new ArrayList<>();
        for (int i = 0; i < answers.length; i++) {
            NodeAddress node = targets.get(i);
            Object a = answers[i];
            long held;
            if (a instanceof AuxCallException e) {
                ctx.failures().accept(e);
                failed.add(node);
                continue;
            } else if (a instanceof PutOutcome p) {
                if (p.version() < 0) {
                    finish(null, ApiException.tooLarge("value exceeds an aux node's byte budget"));
                    return;
                }
                held = p.version();
            } else if (a instanceof DeleteOutcome d) {
                held = d.version() == 0 ? version : d.version(); // an older node does not say: applied
                if (held == version) {
                    existed |= d.existed();
                }
            } else if (a instanceof Throwable t) {
                throw new IllegalStateException("aux call failed unexpectedly", t);
            } else {
                throw new IllegalStateException("unexpected answer " + a);
            }
            if (held > version) {
                newest = Math.max(newest, held);
            } else {
                applied.add(node.id()); // our version (or, defensively, anything not newer)
            }
        }
        if (newest > 0) {
            ctx.listener().conflict();
            if (++conflicts > MAX_CONFLICTS) {
                finish(null, ApiException.unavailable("the key is being written concurrently; try again"));
                return;
            }
            ctx.versions().observe(newest);
            newVersion();
            round(owners);
            return;
        }
        List<NodeAddress> waiting = new ArrayList<>();
        for (NodeAddress node : failed) {
            Fences.Skip skip = ctx.fences().skip(node.id());
            if (skip == null) {
                waiting.add(node);
            } else {
                skips.add(skip);
            }
        }
        if (waiting.isEmpty()) {
            if (applied.isEmpty()) {
                finish(null, ApiException.unavailable("no replica of the key could be reached"));
            } else {
                for (int i = 0; i < owners.size() - applied.size(); i++) {
                    ctx.listener().leftOut();
                }
                finish(new Result(version, applied.size(), existed), null);
            }
            return;
        }
        long delay = backoffMillis;
        if (ctx.fences().now() + TimeUnit.MILLISECONDS.toNanos(delay) - deadlineNanos >= 0) {
            finish(null, ApiException.unavailable("owner " + waiting.get(0).id()
                    + " could not be reached within the write deadline"));
            return;
        }
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        ctx.listener().retry();
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> {
            try {
                round(waiting);
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    private void finish(Result ok, Throwable failure) {
        skips.forEach(Fences.Skip::close);
        skips.clear();
        if (failure != null) {
            result.completeExceptionally(failure);
        } else {
            result.complete(ok);
        }
    }
}
