package dev.dcache.aux.cluster;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Carries out one pass of the {@link Rebalancer} over the records this node holds, chunk by chunk:
 * decides for each record, from its owners under the ring the data was placed for and under the
 * ring it goes to, where it is sent and whether it is dropped (the rules are in the
 * {@link Rebalancer}'s design note), sends it in one batch per node, and drops it only once every
 * owner it was sent to acknowledged it and no newer write raced the pass. Which passes run, and
 * what ring the data is then placed for, is the {@link Rebalancer}'s.
 */
final class RecordMover {
    private static final Logger log = LoggerFactory.getLogger(Rebalancer.class); // where passes always logged
    private static final int CHUNK = 2000;

    private final String selfId;
    private final LruCache cache;
    private final AuxClient peers;
    private final Consumer<List<Entry>> movedSink;
    private final AtomicLong moved = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** What one pass did: records examined, copies sent, records dropped, and whether every owner was reached. */
    record Counts(long examined, long sent, long dropped, boolean complete) {
    }

    RecordMover(String selfId, LruCache cache, AuxClient peers, Consumer<List<Entry>> movedSink) {
        this.selfId = selfId;
        this.cache = cache;
        this.peers = peers;
        this.movedSink = movedSink;
    }

    /**
     * Moves every held record from its placement under {@code from} (null: unknown) to {@code to},
     * a ring with nodes.
     *
     * @param drop       drop the records this node no longer owns once their owners have them
     * @param strays     sweep mode: send every record not owned under {@code to} to its owners
     *                   before dropping it, and do not hand it to {@code movedSink}
     * @param sweepValid in sweep mode, asked before each chunk's drops: false drops nothing more
     */
    Counts move(RingSpec from, RingSpec to, boolean drop, boolean strays, BooleanSupplier sweepValid) {
        Map<String, NodeAddress> addresses = new HashMap<>();
        to.nodes().forEach(n -> addresses.put(n.id(), n));
        HashRing newRing = to.toRing();
        HashRing oldRing = from == null ? null : from.toRing();
        int rf = to.replicationFactor();
        long[] counts = new long[3]; // examined, sent, dropped
        boolean[] complete = {true};
        List<Entry> chunk = new ArrayList<>(CHUNK);
        cache.forEach(e -> {
            chunk.add(e);
            if (chunk.size() == CHUNK) {
                complete[0] &= moveChunk(chunk, oldRing, newRing, rf, from == null ? 0 : from.replicationFactor(),
                        addresses, counts, drop, strays, sweepValid);
                chunk.clear();
            }
        });
        if (!chunk.isEmpty()) {
            complete[0] &= moveChunk(chunk, oldRing, newRing, rf, from == null ? 0 : from.replicationFactor(),
                    addresses, counts, drop, strays, sweepValid);
        }
        return new Counts(counts[0], counts[1], counts[2], complete[0]);
    }

    /** Sends and drops the records of one chunk; false when some owner was unreachable. */
    private boolean moveChunk(List<Entry> chunk, HashRing oldRing, HashRing newRing, int rf, int oldRf,
                              Map<String, NodeAddress> addresses, long[] counts, boolean drop, boolean strays,
                              BooleanSupplier sweepValid) {
        Map<String, List<Entry>> perTarget = new LinkedHashMap<>();
        List<Entry> toDrop = new ArrayList<>();
        Map<Entry, List<String>> dropNeeds = new HashMap<>();
        for (Entry e : chunk) {
            counts[0]++;
            long h = newRing.hashOf(e.key());
            List<String> owners = newRing.ownersOfHash(h, rf);
            List<String> oldOwners = oldRing == null ? null : oldRing.ownersOfHash(h, oldRf);
            List<String> staying = oldOwners == null ? List.of()
                    : owners.stream().filter(oldOwners::contains).toList();
            List<String> targets;
            if (!owners.contains(selfId)) {
                // leaving owner: a staying owner copies the record to the new ones; without one
                // (or without knowing), this node must; a stray may be newer than the owners' copy
                targets = staying.isEmpty() || strays ? owners : List.of();
                toDrop.add(e);
                dropNeeds.put(e, targets);
            } else if (oldOwners == null) {
                targets = new ArrayList<>(owners); // placement unknown: tell the other owners
                targets.remove(selfId);
            } else if (!oldOwners.contains(selfId)) {
                continue; // it reached this new owner under the new ring: from a write or a peer's pass
            } else if (oldOwners.equals(owners) || !staying.get(0).equals(selfId)) {
                continue; // unchanged, or another staying owner copies it
            } else {
                targets = owners.stream().filter(o -> !oldOwners.contains(o)).toList();
            }
            for (String t : targets) {
                perTarget.computeIfAbsent(t, x -> new ArrayList<>()).add(e);
            }
        }
        Set<String> failed = new HashSet<>();
        Set<Entry> delivered = new java.util.LinkedHashSet<>();
        for (Map.Entry<String, List<Entry>> batch : perTarget.entrySet()) {
            NodeAddress node = addresses.get(batch.getKey());
            try {
                peers.putBatch(node, batch.getValue());
                counts[1] += batch.getValue().size();
                moved.addAndGet(batch.getValue().size());
                delivered.addAll(batch.getValue());
            } catch (AuxCallException ex) {
                failed.add(batch.getKey());
                log.warn("rebalance: cannot send {} records to {}: {}", batch.getValue().size(), node, ex.getMessage());
            }
        }
        if (!delivered.isEmpty() && !strays) {
            movedSink.accept(new ArrayList<>(delivered)); // strays were backed up when they first moved
        }
        if (strays) {
            BooleanSupplier valid = sweepValid;
            if (valid != null && !valid.getAsBoolean()) {
                return false; // the ring changed: drop nothing, the next pass places these records
            }
        }
        // from an unknown placement nothing is dropped: the target ring may be a passing one
        // (nodes still starting), and a copy could be the only one left
        for (Entry e : drop && oldRing != null ? toDrop : List.<Entry>of()) {
            if (dropNeeds.get(e).stream().noneMatch(failed::contains) && cache.drop(e.key(), e.version())) {
                counts[2]++;
                dropped.incrementAndGet();
            }
        }
        return failed.isEmpty();
    }

    /** Copies sent to their new owners, over all passes. */
    long moved() {
        return moved.get();
    }

    /** Records dropped once their owners had them, over all passes. */
    long dropped() {
        return dropped.get();
    }
}
