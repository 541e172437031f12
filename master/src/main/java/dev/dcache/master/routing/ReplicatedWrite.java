package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.client.WriteMode;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.ReadReply;
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
 * <h2>Design: the first serving owner orders the writes of a key</h2>
 *
 * <p>Owners keep, per key, the record with the highest version and ignore older writes, so the
 * version order must follow real time: if write A was acknowledged before write B started, B's
 * version must exceed A's. Versions come from each master's hybrid logical clock, and two
 * masters' clocks do not see each other: B's master may issue a lower version than A's (same
 * millisecond with a smaller counter, or a clock that runs behind). So every write goes first to
 * one owner, the <em>ordering</em> owner: the first owner in ring order that serves reads
 * ({@link WriteMode#ORDERING}), in plain ring order, so that every master picks the same one (a
 * master's own suspicions would make two masters pick two). A serving owner holds every acknowledged write (an owner left out
 * of one refuses reads until it caught up), so it holds A; it applies B only if B's version is
 * higher, and otherwise answers with the version it holds. B has then been applied nowhere, so
 * its master folds that version into its clock ({@link HybridLogicalClock#observe}) and orders B
 * again above it. Only once the ordering owner applied the write is it sent to the other owners,
 * in parallel, with the same version. One of them holding a higher version means a concurrent,
 * later-ordered write overtook ours there: ours stays ordered before it, nothing is rewritten. So
 * each write has exactly one version, and each owner shows a key's values in version order.
 *
 * <p><b>An owner that does not answer</b> is asked again, with the same version, after a short
 * backoff, until the write's deadline. It may be left out only once {@link Fences} allows it: it
 * has been unreachable long enough that it refuses reads by itself and will catch up from the
 * others before serving again. An ordering owner left out hands the ordering to the next owner,
 * with the same version. A timed-out ordering call may still have been applied; if the owner that
 * answers later holds a higher version, the write may have been applied and overtaken, or never
 * applied below a write that completed before it started: it cannot tell which, so it fails with
 * 504 (outcome unknown), never reorders. The same holds for a delete whose earlier, timed-out
 * attempt is found applied: whether a value existed is lost with the answer. Unless the owner
 * vouches for it: every write carries a request id (the client's, else one this master makes up),
 * an owner remembers the requests it applied as ordering owner, and an answer says how far back
 * that memory is complete ({@code PutOutcome#rememberedMillis}). When every try that got no answer
 * went to that same owner, within that time, and it answers without a replay, no try was applied
 * anywhere: a late one finds a newer version or this request's outcome there and applies nothing.
 * The write is then ordered again above, as after any conflict. A write fails with
 * 503 only when no owner can have applied it (a retry is safe), with 504 otherwise. A write is
 * never ordered again (no new version) once its deadline passed or its master stalled since it
 * started (a SIGSTOP or a long GC mid-write): its client has given up on it, or was told 504 by
 * nginx after 1 s, and a new version now would put it above writes made since.
 *
 * <p><b>While the ring changes</b> (this master's newest ring is not yet settled: not every node
 * has its data placed for it, and other masters may still route by the ring before), owners under
 * the two rings differ and the ordering owner may lack the key's writes. Then the write first asks
 * every owner under either ring for its record, gives the newest a serving owner holds to those
 * that lack it (a write acknowledged before this one started is on at least one such owner, since
 * one membership change leaves RF-1 owners of every key in place), takes a version above it, and
 * then is ordered and copied as usual, to the owners under both rings ({@link #startInTransition}):
 * more messages, for the seconds a ring change takes. It is ordered twice, with one version: first
 * by the first serving owner under the last settled ring, where a master that does not know the
 * new ring yet orders its writes, then by the first serving owner under the new ring, where a master
 * that already routes by the new ring alone orders them (one node when both rings agree). So
 * writes through masters on either ring meet at an ordering owner. A newer version met at the
 * second is a write ordered after ours at the first (masters route by the new ring alone only two
 * heartbeat intervals after it settled, by when every master knows it settled:
 * {@code Membership#routesAlone}), so ours stays ordered before it.
 *
 * <p><b>A retried request takes effect once.</b> The ordering call carries the client request id
 * (nginx's, or the client's own {@code X-Request-Id}); an ordering owner that already ordered this
 * request for this key answers with that first outcome (its version, and for a delete whether the
 * key existed) instead of applying it again, and the write goes on with it. So nginx may retry a
 * {@code DELETE} on the other master after the first timed out, and it still answers 200 if the
 * key existed when the first try deleted it.
 *
 * <p>Writing first to one owner costs one more round trip of latency, not more messages: each
 * owner still gets one call per write. Rounds never overlap (each waits for its calls, every call
 * bounded by the client's request timeout, and the next starts from the completion or a delayed
 * executor), so the state needs no lock: each round's futures carry the happens-before edge.
 *
 * <p><b>Why one class of this size.</b> Ordering, copying, the transition rounds and the 503/504
 * decision all read and move one write's state (its version, which tries went unanswered and
 * where, the owners left out, the deadline, the stall count at start); each rule above is a
 * statement about that state across rounds. Split over several classes, checking one rule would
 * mean reading all of them. About a third of the file is this note.
 */
final class ReplicatedWrite {
    /** Times a write is ordered again above a newer version before it gives up (a key written without pause). */
    static final int MAX_CONFLICTS = 16;
    private static final long FIRST_BACKOFF_MILLIS = 25;
    private static final long MAX_BACKOFF_MILLIS = 400;
    /** Slack between this master's and an owner's measure of elapsed time, when it vouches for earlier tries. */
    private static final long VOUCH_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Request ids this master makes up for writes that came without one: a random prefix per process, then a count. */
    private static final String OWN_ID_PREFIX = "m" + Long.toString(new java.security.SecureRandom().nextLong() >>> 1, 36) + "-";
    private static final java.util.concurrent.atomic.AtomicLong OWN_IDS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A key's owners while the ring changes.
     *
     * @param all    every owner under either ring: the last settled ring's in its ring order first
     * @param newest the newest ring's owners, in its ring order
     */
    record Owners(List<NodeAddress> all, List<NodeAddress> newest) {
    }

    /** What a write needs from the router. */
    record Context(AuxClient client, HybridLogicalClock versions, Fences fences,
                   Consumer<AuxCallException> failures, Listener listener, long timeoutNanos, Stalls stalls) {
    }

    /** This master's own stalls (a SIGSTOP, a long GC), as its {@code StallWatch} sees them. */
    interface Stalls {
        /** Never stalls (tests, and masters without a watch). */
        Stalls NONE = new Stalls() {
            @Override
            public long count() {
                return 0;
            }

            @Override
            public boolean now() {
                return false;
            }
        };

        /** Stalls seen so far. */
        long count();

        /** In a stall, or just out of one not yet counted. */
        boolean now();
    }

    /** Hears what a write did, for metrics. */
    interface Listener {
        /** The ordering owner held a newer version: the write is ordered again above it. */
        void conflict();

        /** An owner did not answer and is asked again. */
        void retry();

        /** An owner was left out of an acknowledged write: it was fenced. */
        void leftOut();
    }

    /**
     * The acknowledged write.
     *
     * @param version  its version
     * @param replicas owners that hold it (or a later write of the key)
     * @param existed  for a delete: the key held a value when the delete was ordered
     */
    record Result(long version, int replicas, boolean existed) {
    }

    private final Context ctx;
    private final String requestId;
    private final String key;
    private final String value;
    private final long expiresAt;
    /** The owners, the preferred ordering owner first. */
    private final List<NodeAddress> owners;
    /** While the ring changes: the newest ring's owners, where the write is ordered a second time; else null. */
    private List<NodeAddress> newestOwners;
    private final long deadlineNanos;
    /** {@link Stalls#count()} when the write started. */
    private final long stallsAtStart;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final Set<String> holding = new HashSet<>();
    private final List<Fences.Skip> skips = new ArrayList<>();
    private long version;
    private int ordering;
    /** The first owner of this ordering pass that answered it does not serve now; -1 for none. */
    private int notServingFrom = -1;
    /** An ordering call with the current version got no answer: it may have been applied. */
    private boolean uncertain;
    /** The one owner such calls went to; null when they went to several, or the owner is unknown. */
    private String uncertainAt;
    /** The ordering owner applied the write: it is being copied to the others. */
    private boolean copying;
    private boolean existed;
    private int conflicts;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;

    private ReplicatedWrite(Context ctx, String requestId, String key, String value, long expiresAt,
                            List<NodeAddress> owners) {
        this.ctx = ctx;
        this.requestId = requestId;
        this.key = key;
        this.value = value;
        this.expiresAt = expiresAt;
        this.owners = owners;
        this.deadlineNanos = ctx.fences().now() + ctx.timeoutNanos();
        this.stallsAtStart = ctx.stalls().count();
    }

    /**
     * True when this write may take no new version: past its deadline, or this master stalled
     * since the write started (its client, behind nginx's 1 s, has been told 504 and may have
     * written the key again since: a version taken now would put this write above that one).
     */
    private boolean tooLateToOrderAgain() {
        return ctx.fences().now() - deadlineNanos >= 0 || ctx.stalls().count() != stallsAtStart || ctx.stalls().now();
    }

    /**
     * Starts writing {@code value} (null: a delete) to {@code owners}; never blocks.
     *
     * @param requestId the client request this write carries out (see {@link WriteMode#requestId}), or null
     * @param owners    the key's owners, the one to try first as ordering owner first
     * @return completes with the result, or exceptionally with an {@link ApiException} (413, 503, 504)
     */
    static CompletableFuture<Result> start(Context ctx, String requestId, String key, String value, long expiresAt,
                                           List<NodeAddress> owners) {
        ReplicatedWrite w = new ReplicatedWrite(ctx, orOwnId(requestId), key, value, expiresAt, owners);
        w.version = ctx.versions().next();
        w.order();
        return w.result;
    }

    /** Starts a write while the ring changes (see the class comment). */
    static CompletableFuture<Result> startInTransition(Context ctx, String requestId, String key, String value,
                                                       long expiresAt, Owners owners) {
        ReplicatedWrite w = new ReplicatedWrite(ctx, orOwnId(requestId), key, value, expiresAt, owners.all());
        w.newestOwners = owners.newest();
        w.query();
        return w.result;
    }

    /**
     * Goes on with a write whose ordering call, with {@code version}, got no clear answer (a bulk
     * batch that failed): it is ordered again with that same version, as an uncertain one.
     */
    static CompletableFuture<Result> resume(Context ctx, Entry entry, List<NodeAddress> owners) {
        ReplicatedWrite w = new ReplicatedWrite(ctx, null, entry.key(), entry.value(), entry.expiresAt(), owners);
        w.version = entry.version();
        w.uncertain = true;
        w.order();
        return w.result;
    }

    /** Sends to the other owners a write that {@code orderedBy} applied with {@code entry}'s version. */
    static CompletableFuture<Result> replicate(Context ctx, Entry entry, List<NodeAddress> owners, NodeAddress orderedBy) {
        ReplicatedWrite w = new ReplicatedWrite(ctx, null, entry.key(), entry.value(), entry.expiresAt(), owners);
        w.version = entry.version();
        w.holding.add(orderedBy.id());
        w.copying = true;
        w.copiesToTheRest();
        return w.result;
    }

    /** The client's request id, else one made up here, unique across masters and restarts. */
    static String orOwnId(String requestId) {
        return requestId != null ? requestId : OWN_ID_PREFIX + OWN_IDS.incrementAndGet();
    }

    /**
     * True when {@code node}, answering an ordering call without a replay, shows that no earlier try
     * of this write was applied anywhere: every try that got no answer went to it, since the write
     * started, and it remembers every request it applied for longer than that.
     */
    private boolean vouchesNoEarlierTry(NodeAddress node, long rememberedMillis) {
        long sinceStart = ctx.fences().now() - (deadlineNanos - ctx.timeoutNanos());
        return requestId != null && node.id().equals(uncertainAt)
                && TimeUnit.MILLISECONDS.toNanos(rememberedMillis) - sinceStart > VOUCH_MARGIN_NANOS;
    }

    /**
     * False when every ordering call that got no answer went to one other owner than {@code node}:
     * then no earlier try reached {@code node}, and what it answers is this try's own outcome.
     */
    private boolean earlierTryMayHaveReached(NodeAddress node) {
        return uncertainAt == null || uncertainAt.equals(node.id());
    }

    private Entry entry() {
        return new Entry(key, value, version, expiresAt);
    }

    private CompletableFuture<Object> call(NodeAddress node, WriteMode mode) {
        return Futures.started(() -> value == null
                ? ctx.client().startDelete(node, key, version, mode).thenApply(Object.class::cast)
                : ctx.client().startPut(node, entry(), mode).thenApply(Object.class::cast));
    }

    /** Asks every owner the version it holds, then copies the write above the highest to all of them. */
    private void query() {
        Object[] answers = new Object[owners.size()];
        CompletableFuture<?>[] calls = new CompletableFuture<?>[owners.size()];
        for (int i = 0; i < calls.length; i++) {
            int slot = i;
            calls[i] = Futures.started(() -> ctx.client().startRead(owners.get(slot), key))
                    .handle((answer, failure) -> answers[slot] = failure != null ? Futures.cause(failure) : answer);
        }
        CompletableFuture.allOf(calls).thenRun(() -> {
            try {
                queried(answers);
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    private void queried(Object[] answers) {
        Entry newest = null;
        boolean answered = false;
        for (Object a : answers) {
            if (a instanceof AuxCallException e) {
                ctx.failures().accept(e);
            } else if (a instanceof ReadReply r && r.serving()) {
                answered = true;
                if (r.entry() != null && (newest == null || r.entry().version() > newest.version())) {
                    newest = r.entry();
                }
            }
        }
        if (!answered) {
            later(this::query, owners.get(0)); // no serving owner answered: nothing applied yet
            return;
        }
        if (tooLateToOrderAgain()) {
            finish(null, ApiException.unavailable("the write outlived its deadline, or this master stalled, before it could be ordered"));
            return; // only reads so far: nothing applied
        }
        if (newest != null) {
            ctx.versions().observe(newest.version());
        }
        version = ctx.versions().next();
        prime(newest, answers);
    }

    /**
     * Gives every serving owner that answered with an older record (or none) the newest one, so
     * that whichever orders the write knows the key's latest state (a delete says whether it
     * existed from it), then orders the write as usual.
     */
    private void prime(Entry newest, Object[] answers) {
        List<CompletableFuture<?>> repairs = new ArrayList<>();
        for (int i = 0; i < answers.length && newest != null; i++) {
            if (answers[i] instanceof ReadReply r && r.serving()
                    && (r.entry() == null || r.entry().version() < newest.version())) {
                NodeAddress node = owners.get(i);
                Entry record = newest;
                repairs.add(Futures.started(() -> ctx.client().startPut(node, record, WriteMode.COPY))
                        .exceptionally(failure -> null)); // a failed repair: the ordering owner answers for itself
            }
        }
        CompletableFuture.allOf(repairs.toArray(CompletableFuture[]::new)).thenRun(() -> {
            try {
                order();
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    /** Asks the current ordering owner to apply the write. */
    private void order() {
        if (ordering >= owners.size() && uncertain && notServingFrom >= 0 && value != null) {
            // An earlier try may have been applied where it went, and owners that would order the
            // write do not serve now (they catch up, e.g. after a master fenced them): rather than
            // answer 504 at once, ask them again, with the same version, until the deadline. Only a
            // put: the owner may meanwhile have caught up our version from where the earlier try
            // went, which for a put is the same write (applied), but for a delete would lose
            // whether a value existed.
            int from = notServingFrom;
            notServingFrom = -1;
            later(() -> {
                ordering = from;
                order();
            }, owners.get(from));
            return;
        }
        if (ordering >= owners.size()) {
            finish(null, uncertain ? ApiException.outcomeUnknown("no owner of the key answered")
                    : ApiException.unavailable("no owner of the key serves now"));
            return;
        }
        NodeAddress node = owners.get(ordering);
        call(node, WriteMode.ordering(requestId)).handle((answer, failure) -> {
            try {
                ordered(node, failure == null ? answer : Futures.cause(failure));
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
            return null;
        });
    }

    private void ordered(NodeAddress node, Object answer) {
        if (answer instanceof AuxCallException e) {
            ctx.failures().accept(e);
            if (e.kind() == AuxCallException.Kind.NOT_SERVING) {
                if (notServingFrom < 0) {
                    notServingFrom = ordering;
                }
                ordering++; // it applied nothing: the next owner orders
                order();
                return;
            }
            boolean refused = e.kind() == AuxCallException.Kind.REFUSED;
            if (!refused) { // it may have applied it
                uncertainAt = uncertain && !node.id().equals(uncertainAt) ? null : node.id();
                uncertain = true;
            }
            Fences.Skip skip = ctx.fences().skip(node.id(), refused);
            if (skip != null) {
                skips.add(skip);
                ordering++;
                order();
            } else {
                later(this::order, node);
            }
            return;
        }
        if (answer instanceof PutOutcome p && p.replayed() || answer instanceof DeleteOutcome d && d.replayed()) {
            // this request was ordered before (a retry of it, through another master or the client):
            // it keeps the version it was ordered with, and the outcome it had
            version = answer instanceof PutOutcome p ? p.version() : ((DeleteOutcome) answer).version();
            existed = answer instanceof DeleteOutcome d && d.existed();
            afterOrdered(node);
            return;
        }
        long held = held(answer);
        if (tooLarge(answer)) {
            finish(null, ApiException.tooLarge("value exceeds an aux node's byte budget"));
        } else if (held > version) {
            if (uncertain) {
                if (!vouchesNoEarlierTry(node, rememberedMillis(answer))) {
                    finish(null, ApiException.outcomeUnknown("the ordering owner answered late, and now holds a newer write"));
                    return;
                }
                uncertain = false; // no earlier try was applied: like any conflict, ordered again above
                uncertainAt = null;
            }
            ctx.listener().conflict();
            if (++conflicts > MAX_CONFLICTS) {
                finish(null, ApiException.unavailable("the key is being written concurrently; try again"));
                return;
            }
            if (tooLateToOrderAgain()) {
                // applied nowhere, and its client has given up on it (or was told so by a proxy):
                // ordered again now, it would land over newer writes
                finish(null, ApiException.unavailable("the write outlived its deadline, or this master stalled, before it could be ordered"));
                return;
            }
            ctx.versions().observe(held);
            version = ctx.versions().next();
            order(); // applied nowhere: order it again, above
        } else {
            if (answer instanceof DeleteOutcome d) {
                if (uncertain && !d.existed() && held == version && earlierTryMayHaveReached(node)
                        && !vouchesNoEarlierTry(node, d.rememberedMillis())) {
                    // our earlier, timed-out attempt applied it: whether a value existed is unknown
                    finish(null, ApiException.outcomeUnknown("an earlier try of the delete was applied"));
                    return;
                }
                existed = d.existed();
            }
            afterOrdered(node);
        }
    }

    /** {@code node} ordered the write: while the ring changes, on to the newest ring's ordering owner; then the copies. */
    private void afterOrdered(NodeAddress node) {
        holding.add(node.id());
        copying = true;
        if (newestOwners == null) {
            copiesToTheRest();
        } else {
            orderOnNewest(0);
        }
    }

    /** Copies the ordered write to every owner that does not hold it yet. */
    private void copiesToTheRest() {
        copies(owners.stream().filter(o -> !holding.contains(o.id())).toList());
    }

    /** Orders the write, with its version, at the first serving owner under the newest ring from {@code i} on. */
    private void orderOnNewest(int i) {
        if (i >= newestOwners.size() || holding.contains(newestOwners.get(i).id())) {
            copiesToTheRest();
            return;
        }
        NodeAddress node = newestOwners.get(i);
        call(node, WriteMode.ordering(requestId)).handle((answer, failure) -> {
            try {
                orderedOnNewest(i, node, failure == null ? answer : Futures.cause(failure));
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
            return null;
        });
    }

    private void orderedOnNewest(int i, NodeAddress node, Object answer) {
        if (answer instanceof AuxCallException e) {
            ctx.failures().accept(e);
            if (e.kind() == AuxCallException.Kind.NOT_SERVING) {
                orderOnNewest(i + 1); // it applied nothing: the next owner orders
                return;
            }
            Fences.Skip skip = ctx.fences().skip(node.id(), e.kind() == AuxCallException.Kind.REFUSED);
            if (skip == null) {
                later(() -> orderOnNewest(i), node);
            } else {
                skips.add(skip);
                ctx.listener().leftOut();
                orderOnNewest(i + 1);
            }
            return;
        }
        if (tooLarge(answer)) {
            finish(null, ApiException.tooLarge("value exceeds an aux node's byte budget"));
            return;
        }
        if (answer instanceof DeleteOutcome d && !d.replayed()) {
            existed |= d.existed(); // a value ordered before ours there, not yet here
        }
        holding.add(node.id()); // ours, or a write ordered after ours by the first ordering owner
        copiesToTheRest();
    }

    /** Sends the ordered write to {@code targets}, in parallel, and waits for all. */
    private void copies(List<NodeAddress> targets) {
        if (targets.isEmpty()) {
            done();
            return;
        }
        Object[] answers = new Object[targets.size()];
        CompletableFuture<?>[] calls = new CompletableFuture<?>[targets.size()];
        for (int i = 0; i < calls.length; i++) {
            int slot = i;
            calls[i] = call(targets.get(i), WriteMode.COPY)
                    .handle((answer, failure) -> answers[slot] = failure != null ? Futures.cause(failure) : answer);
        }
        CompletableFuture.allOf(calls).thenRun(() -> {
            try {
                copied(targets, answers);
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    private void copied(List<NodeAddress> targets, Object[] answers) {
        List<NodeAddress> waiting = new ArrayList<>();
        for (int i = 0; i < answers.length; i++) {
            NodeAddress node = targets.get(i);
            if (answers[i] instanceof AuxCallException e) {
                ctx.failures().accept(e);
                Fences.Skip skip = ctx.fences().skip(node.id(), e.kind() == AuxCallException.Kind.REFUSED);
                if (skip == null) {
                    waiting.add(node);
                } else {
                    skips.add(skip);
                    ctx.listener().leftOut();
                }
            } else if (tooLarge(answers[i])) {
                finish(null, ApiException.tooLarge("value exceeds an aux node's byte budget"));
                return;
            } else {
                holding.add(node.id()); // ours, or a later write ordered after ours
            }
        }
        if (waiting.isEmpty()) {
            done();
        } else {
            copying = true;
            later(() -> copies(waiting), waiting.get(0));
        }
    }

    /** Runs {@code next} after the backoff, or fails the write when that would pass its deadline. */
    private void later(Runnable next, NodeAddress waitingFor) {
        long delay = backoffMillis;
        if (ctx.fences().now() + TimeUnit.MILLISECONDS.toNanos(delay) - deadlineNanos >= 0) {
            String why = "owner " + waitingFor.id() + " could not be reached within the write deadline";
            // applied by the ordering owner (copying), or perhaps by one that answered too late
            finish(null, copying || uncertain ? ApiException.outcomeUnknown(why) : ApiException.unavailable(why));
            return;
        }
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        ctx.listener().retry();
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> {
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        });
    }

    private static long rememberedMillis(Object answer) {
        return answer instanceof PutOutcome p ? p.rememberedMillis() : ((DeleteOutcome) answer).rememberedMillis();
    }

    /** True for an owner's answer that the record alone exceeds its byte budget. */
    private static boolean tooLarge(Object answer) {
        return answer instanceof PutOutcome p && p.tooLarge();
    }

    /** The version an owner holds after our call (ours, or a higher one). */
    private long held(Object answer) {
        if (answer instanceof PutOutcome p) {
            return p.version();
        }
        if (answer instanceof DeleteOutcome d) {
            return d.version() == 0 ? version : d.version(); // an older node does not say: applied
        }
        if (answer instanceof Throwable t) {
            throw new IllegalStateException("aux call failed unexpectedly", t);
        }
        throw new IllegalStateException("unexpected answer " + answer);
    }

    private void done() {
        finish(new Result(version, holding.size(), existed), null);
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
