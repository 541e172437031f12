package dev.dcache.master.routing;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.metrics.MasterMetrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Reads one key from the owners {@link DataRouter} picked for it, and writes the record found back
 * to the owners that lacked it (read repair).
 *
 * <p>{@link #fetchInTurn} asks the owners one at a time, those that serve reads first (see
 * {@link #preferServing}). A serving owner that answers with a value or a tombstone decides: every
 * acknowledged write is on every owner that serves (an owner left out of a write refuses reads
 * until it caught up). An owner that holds nothing for the key (it was down, or is new on the ring
 * and not yet filled) sends the read on to the next owner; when a later owner has the record, it
 * is written back to the owners that lacked it. An owner that does not serve is skipped.
 * {@link #fetchNewest}, for while data moves, asks every owner at once and takes the newest.
 */
final class ReplicatedRead {
    private final Membership membership;
    private final AuxClient client;
    private final HybridLogicalClock versions;
    private final MasterMetrics metrics;
    /** Reports a failed call as health evidence ({@link DataRouter#failed}). */
    private final Consumer<AuxCallException> failed;

    ReplicatedRead(Membership membership, AuxClient client, HybridLogicalClock versions, MasterMetrics metrics,
                   Consumer<AuxCallException> failed) {
        this.membership = membership;
        this.client = client;
        this.versions = versions;
        this.metrics = metrics;
        this.failed = failed;
    }

    /** Reads {@code key} from {@code owners} (in ring order) one at a time; see the class comment. */
    CompletableFuture<Entry> fetchInTurn(String key, List<NodeAddress> owners) {
        return askInTurn(key, preferServing(owners), 0, null, false);
    }

    /** Asks {@code owners[i]}, and on no answer or no record the owners after it. */
    private CompletableFuture<Entry> askInTurn(String key, List<NodeAddress> owners, int i,
                                               List<NodeAddress> lacking, boolean answered) {
        if (i == owners.size()) {
            return answered ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(ApiException.unavailable("no replica of the key could be reached"));
        }
        NodeAddress node = owners.get(i);
        return client.startRead(node, key).handle((reply, failure) -> {
            if (failure != null) {
                failed.accept(auxFailure(failure));
                return askInTurn(key, owners, i + 1, lacking, answered);
            }
            if (!reply.serving()) {
                notServing(node);
                return askInTurn(key, owners, i + 1, lacking, answered);
            }
            metrics.auxCall(node.id(), i == 0 ? MasterMetrics.Outcome.OK : MasterMetrics.Outcome.FAILOVER);
            Entry e = reply.entry();
            if (e != null) {
                versions.observe(e.version());
                if (lacking != null) {
                    repair(lacking, e);
                }
                return CompletableFuture.completedFuture(e.isTombstone() ? null : e);
            }
            List<NodeAddress> without = lacking == null ? new ArrayList<>(owners.size()) : lacking;
            without.add(node);
            return askInTurn(key, owners, i + 1, without, true);
        }).thenCompose(f -> f);
    }

    /**
     * While data is moving (some node not yet placed for this ring: one just re-admitted with an
     * old snapshot, one just added), the primary may hold an older version than another owner:
     * ask every owner at once, answer with the newest record, and write it back to the owners
     * that had an older one or none.
     */
    CompletableFuture<Entry> fetchNewest(String key, List<NodeAddress> owners) {
        // every owner, suspects included: a suspect may be the one holding the newest version
        return onEachStarted(owners, node -> client.startRead(node, key).thenApply(r -> {
            if (!r.serving()) {
                notServing(node);
                return null; // not an answer: it may lack writes
            }
            return new Entry[]{r.entry()};
        })).thenApply(answers -> {
                    if (answers.stream().allMatch(Objects::isNull)) {
                        throw ApiException.unavailable("no replica of the key could be reached");
                    }
                    Entry newest = newest(answers);
                    if (newest != null) {
                        versions.observe(newest.version());
                    }
                    if (newest != null) {
                        List<NodeAddress> behind = new ArrayList<>();
                        for (int i = 0; i < owners.size(); i++) {
                            Entry[] a = answers.get(i);
                            if (a != null && (a[0] == null || a[0].version() < newest.version())) {
                                behind.add(owners.get(i));
                            }
                        }
                        repair(behind, newest);
                    }
                    return newest == null || newest.isTombstone() ? null : newest;
                });
    }

    /** The highest-versioned record among the answers (a failed call is null), or null. */
    private static Entry newest(List<Entry[]> answers) {
        Entry newest = null;
        for (Entry[] a : answers) {
            if (a != null && a[0] != null && (newest == null || a[0].version() > newest.version())) {
                newest = a[0];
            }
        }
        return newest;
    }

    /**
     * The owners in the order a read asks them: ring order, but owners known not to serve reads
     * (catching up, draining) last, and suspects (a recent call failed) before those.
     */
    List<NodeAddress> preferServing(List<NodeAddress> owners) {
        if (owners.size() < 2 || owners.stream().allMatch(n -> rank(n) == 0)) {
            return owners;
        }
        List<NodeAddress> ordered = new ArrayList<>(owners);
        ordered.sort(Comparator.comparingInt(this::rank)); // stable: ring order within a rank
        return ordered;
    }

    private int rank(NodeAddress n) {
        return membership.isNotServing(n.id()) ? 2 : membership.isSuspect(n.id()) ? 1 : 0;
    }

    private void notServing(NodeAddress node) {
        metrics.auxCall(node.id(), MasterMetrics.Outcome.NOT_SERVING);
        membership.reportNotServing(node.id());
    }

    private void repair(List<NodeAddress> lacking, Entry record) {
        for (NodeAddress node : lacking) {
            client.startPut(node, record).whenComplete((outcome, failure) -> {
                if (failure != null) {
                    failed.accept(auxFailure(failure));
                } else {
                    metrics.readRepair();
                }
            });
        }
    }

    /**
     * Sends a single-key call to every node before waiting for any (the binary client pipelines
     * them, so no thread is spent per call); completes when all have answered or failed, with a
     * failed node's slot null.
     */
    private <T> CompletableFuture<List<T>> onEachStarted(List<NodeAddress> nodes,
                                                         Function<NodeAddress, CompletableFuture<T>> start) {
        @SuppressWarnings("unchecked")
        CompletableFuture<T>[] started = new CompletableFuture[nodes.size()];
        for (int i = 0; i < started.length; i++) {
            NodeAddress node = nodes.get(i);
            started[i] = start.apply(node).handle((answer, failure) -> {
                if (failure != null) {
                    failed.accept(auxFailure(failure));
                    return null;
                }
                metrics.auxCall(node.id(), MasterMetrics.Outcome.OK);
                return answer;
            });
        }
        return CompletableFuture.allOf(started).thenApply(done -> {
            List<T> results = new ArrayList<>(started.length);
            for (CompletableFuture<T> f : started) {
                results.add(f.join()); // done, and never exceptional after handle()
            }
            return results;
        });
    }

    /** The AuxCallException behind a failed call's future; anything else is a bug and rethrown. */
    private static AuxCallException auxFailure(Throwable failure) {
        Throwable cause = Futures.cause(failure);
        if (cause instanceof AuxCallException a) {
            return a;
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        throw new IllegalStateException(cause);
    }
}
