package dev.dcache.aux.antientropy;

import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.HttpAuxClient;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RingSpec;
import dev.dcache.common.wire.SyncReply;
import dev.dcache.common.wire.SyncRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Compares the records this node shares with each co-owner and repairs the differences, both ways:
 * the catch-up of a recovering node and the periodic anti-entropy that heals any divergence (a
 * write that reached only some owners because its master died, a lost read repair).
 *
 * <h2>Design</h2>
 * The key space is cut into {@code 2^bits} buckets by the top bits of the ring's hash of a key. For
 * a pair of nodes, each computes, over its own records that <em>both</em> own under the same ring,
 * one digest per bucket: the sum of a mix of (key hash, version), tombstones included, so two
 * nodes agree on a bucket exactly when they hold the same versions of the same keys (up to a 2^-64
 * collision). The asker sends its digests ({@link SyncRequest}); the peer answers with its records
 * of every bucket whose digest differs ({@link SyncReply}, paged). The asker then applies the
 * peer's records (each only if newer: {@link LruCache#put} orders by version), and sends the peer,
 * in batches, its own records that the peer lacks or holds older. One exchange leaves both sides
 * with the newest version of every shared key; when nothing differs it costs one pass over the
 * records on each side and a few tens of kilobytes on the wire.
 *
 * <p><b>Rebuilding</b> (a node back after more than half the tombstone TTL, see
 * {@code Readiness}): its records may be values deleted long ago whose tombstones its peers have
 * forgotten, so it sends nothing and keeps a record only if it owns the key and some other owner
 * still holds that key (any version; the newer one is applied). Everything else it holds is
 * dropped. A rebuilding peer's records are never applied either: they only tell which keys it holds.
 *
 * <p>Threading: one exchange at a time per caller; {@link #answer} may run concurrently with
 * anything. Both only walk the cache through {@link LruCache#forEach}, one segment lock at a time.
 */
public final class AntiEntropy implements AuxMetrics.AntiEntropyReadings {
    private static final Logger log = LoggerFactory.getLogger(AntiEntropy.class);
    /** Buckets per pair: 4096, 32 KiB of digests. */
    static final int BUCKET_BITS = 12;
    /** Records one answer carries at most (whole buckets; at least one bucket). */
    static final int MAX_REPLY_ENTRIES = 20_000;
    /**
     * Characters of keys and values one answer carries at most (whole buckets; at least one): a
     * node answers while it serves a burst, and its heap holds the answer as it is written.
     */
    static final long MAX_REPLY_CHARS = 2L << 20;
    private static final int PUSH_CHUNK = 2_000;

    /** How this node reaches its co-owners: the internal HTTP API in production, in-memory in tests. */
    public interface Peers {
        /** Asks {@code peer} to compare ({@code POST /internal/sync}). */
        SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException;

        /** Sends records to {@code peer}, applied there by version ({@code POST /internal/batch/put}). */
        void putBatch(NodeAddress peer, List<Entry> entries) throws AuxCallException;

        /** Over the internal HTTP API. */
        static Peers over(HttpAuxClient http) {
            return new Peers() {
                @Override
                public SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException {
                    return http.sync(peer, request);
                }

                @Override
                public void putBatch(NodeAddress peer, List<Entry> entries) throws AuxCallException {
                    http.putBatch(peer, entries);
                }
            };
        }
    }

    private final String selfId;
    private final LruCache cache;
    private final Peers peers;
    private final int bits;
    private final int maxReplyEntries;
    private final long maxReplyChars;

    private final LongAdder exchanges = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder bucketsCompared = new LongAdder();
    private final LongAdder bucketsDiffering = new LongAdder();
    private final LongAdder pulled = new LongAdder();
    private final LongAdder pushed = new LongAdder();
    private final LongAdder dropped = new LongAdder();

    public AntiEntropy(String selfId, LruCache cache, Peers peers) {
        this(selfId, cache, peers, BUCKET_BITS, MAX_REPLY_ENTRIES, MAX_REPLY_CHARS);
    }

    AntiEntropy(String selfId, LruCache cache, Peers peers, int bits, int maxReplyEntries, long maxReplyChars) {
        this.selfId = selfId;
        this.cache = cache;
        this.peers = peers;
        this.bits = bits;
        this.maxReplyEntries = maxReplyEntries;
        this.maxReplyChars = maxReplyChars;
    }

    /** What {@link #reconcile} did. */
    public record Outcome(boolean complete, int peers, long pulled, long pushed, long dropped) {
    }

    /**
     * Reconciles with every other owner of this node's keys under {@code ring} ({@code onlyHigherIds}:
     * only those whose id sorts after this node's, so that periodic runs compare each pair once).
     *
     * @param rebuild this node rebuilds after a long absence (see the class comment)
     * @return complete when every peer answered; a rebuild drops nothing unless complete
     */
    public Outcome reconcile(RingSpec ring, boolean rebuild, boolean onlyHigherIds) {
        HashRing r = ring.toRing();
        int rf = ring.replicationFactor();
        Map<String, NodeAddress> addresses = new HashMap<>();
        ring.nodes().forEach(n -> addresses.put(n.id(), n));
        List<String> partners = new ArrayList<>();
        for (String id : r.nodes()) {
            if (!id.equals(selfId) && (!onlyHigherIds || id.compareTo(selfId) > 0)) {
                partners.add(id);
            }
        }
        Map<String, long[]> digests = new HashMap<>();
        partners.forEach(p -> digests.put(p, new long[1 << bits]));
        List<Entry> notOwned = new ArrayList<>();
        cache.forEach(e -> {
            long h = r.hashOf(e.key());
            List<String> owners = r.ownersOfHash(h, rf);
            if (!owners.contains(selfId)) {
                notOwned.add(e);
                return;
            }
            for (String o : owners) {
                long[] d = digests.get(o);
                if (d != null) {
                    d[bucket(h)] += mix(h, e.version());
                }
            }
        });
        boolean complete = true;
        long pulledBefore = pulled.sum();
        long pushedBefore = pushed.sum();
        long droppedBefore = dropped.sum();
        // rebuild: keys some co-owner lacks, with how many co-owners lack them
        Map<String, Integer> unconfirmed = new HashMap<>();
        for (String p : partners) {
            try {
                exchange(addresses.get(p), ring, r, rf, digests.get(p), rebuild, unconfirmed);
                exchanges.increment();
            } catch (AuxCallException e) {
                failures.increment();
                complete = false;
                log.warn("anti-entropy with {} failed: {}", p, e.getMessage());
            }
        }
        if (rebuild && complete) {
            dropUnconfirmed(r, rf, unconfirmed, notOwned);
        }
        return new Outcome(complete, partners.size(), pulled.sum() - pulledBefore, pushed.sum() - pushedBefore,
                dropped.sum() - droppedBefore);
    }

    private void exchange(NodeAddress peer, RingSpec ring, HashRing r, int rf, long[] mine, boolean rebuild,
                          Map<String, Integer> unconfirmed) throws AuxCallException {
        int from = 0;
        while (from >= 0) {
            SyncReply reply = peers.sync(peer, new SyncRequest(selfId, ring, mine, from));
            bucketsCompared.add((reply.nextBucket() < 0 ? mine.length : reply.nextBucket()) - from);
            bucketsDiffering.add(reply.buckets().length);
            Map<String, Entry> theirs = new HashMap<>();
            for (Entry e : reply.entries()) {
                theirs.put(e.key(), e);
                // a rebuilding peer's records only say which keys it holds: never applied
                if (!reply.rebuilding() && cache.put(e).applied()) {
                    pulled.increment();
                }
            }
            BitSet covered = new BitSet(mine.length);
            for (int b : reply.buckets()) {
                covered.set(b);
            }
            List<Entry> toPush = new ArrayList<>();
            cache.forEach(e -> {
                long h = r.hashOf(e.key());
                if (!covered.get(bucket(h))) {
                    return;
                }
                List<String> owners = r.ownersOfHash(h, rf);
                if (!owners.contains(selfId) || !owners.contains(peer.id())) {
                    return;
                }
                Entry t = theirs.get(e.key());
                if (rebuild) {
                    if (t == null) {
                        unconfirmed.merge(e.key(), 1, Integer::sum);
                    }
                } else if (t == null || t.version() < e.version()) {
                    toPush.add(e);
                }
            });
            for (int i = 0; i < toPush.size(); i += PUSH_CHUNK) {
                List<Entry> chunk = toPush.subList(i, Math.min(toPush.size(), i + PUSH_CHUNK));
                peers.putBatch(peer, List.copyOf(chunk));
                pushed.add(chunk.size());
            }
            from = reply.nextBucket();
        }
    }

    /** Drops what a rebuilding node may not keep: keys no co-owner holds, and copies of keys it does not own. */
    private void dropUnconfirmed(HashRing r, int rf, Map<String, Integer> unconfirmed, List<Entry> notOwned) {
        List<Entry> drop = new ArrayList<>(notOwned);
        cache.forEach(e -> {
            List<String> owners = r.ownersOfHash(r.hashOf(e.key()), rf);
            int coOwners = owners.size() - 1;
            Integer lacking = unconfirmed.get(e.key());
            if (owners.contains(selfId) && (coOwners == 0 || (lacking != null && lacking >= coOwners))) {
                drop.add(e);
            }
        });
        for (Entry e : drop) {
            if (cache.drop(e.key(), e.version())) {
                dropped.increment();
            }
        }
        log.info("rebuild: dropped {} records no other owner holds (or that this node does not own)", drop.size());
    }

    /**
     * Answers a peer's {@link SyncRequest}: this node's records in the buckets whose digests differ,
     * from {@code fromBucket} on, whole buckets up to {@link #MAX_REPLY_ENTRIES} records and
     * {@link #MAX_REPLY_CHARS} characters of keys and values (at least one bucket).
     *
     * @param rebuilding this node rebuilds: the asker must not apply what it sends
     * @throws IllegalArgumentException when the digests are not of this node's bucket count
     */
    public SyncReply answer(SyncRequest request, boolean rebuilding) {
        if (request.digests() == null || request.digests().length != 1 << bits) {
            throw new IllegalArgumentException("digests must have " + (1 << bits) + " buckets");
        }
        if (request.fromBucket() < 0 || request.fromBucket() >= 1 << bits) {
            throw new IllegalArgumentException("fromBucket must be in [0, " + (1 << bits) + ")");
        }
        HashRing r = request.ring().toRing();
        int rf = request.ring().replicationFactor();
        String asker = request.from();
        long[] mine = new long[1 << bits];
        int[] counts = new int[1 << bits];
        long[] chars = new long[1 << bits];
        cache.forEach(e -> {
            long h = r.hashOf(e.key());
            List<String> owners = r.ownersOfHash(h, rf);
            if (owners.contains(selfId) && owners.contains(asker)) {
                mine[bucket(h)] += mix(h, e.version());
                counts[bucket(h)]++;
                chars[bucket(h)] += e.key().length() + (e.value() == null ? 0 : e.value().length());
            }
        });
        List<Integer> differing = new ArrayList<>();
        int total = 0;
        long totalChars = 0;
        int next = -1;
        for (int b = request.fromBucket(); b < mine.length; b++) {
            if (mine[b] != request.digests()[b]) {
                if (!differing.isEmpty()
                        && (total + counts[b] > maxReplyEntries || totalChars + chars[b] > maxReplyChars)) {
                    next = b;
                    break;
                }
                differing.add(b);
                total += counts[b];
                totalChars += chars[b];
            }
        }
        Set<Integer> wanted = new HashSet<>(differing);
        List<Entry> entries = new ArrayList<>(total);
        if (!wanted.isEmpty()) {
            cache.forEach(e -> {
                long h = r.hashOf(e.key());
                if (wanted.contains(bucket(h))) {
                    List<String> owners = r.ownersOfHash(h, rf);
                    if (owners.contains(selfId) && owners.contains(asker)) {
                        entries.add(e);
                    }
                }
            });
        }
        return new SyncReply(rebuilding, differing.stream().mapToInt(Integer::intValue).toArray(), entries, next);
    }

    private int bucket(long keyHash) {
        return (int) (keyHash >>> (64 - bits));
    }

    /** A 64-bit mix of a key's hash and a version (SplitMix64's finalizer over their combination). */
    static long mix(long keyHash, long version) {
        long z = keyHash ^ (version * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Pair exchanges completed, since start. */
    @Override
    public long exchanges() {
        return exchanges.sum();
    }

    /** Pair exchanges that failed (a peer did not answer), since start. */
    @Override
    public long failures() {
        return failures.sum();
    }

    /** Buckets (ranges of the key hash space) compared, since start. */
    @Override
    public long bucketsCompared() {
        return bucketsCompared.sum();
    }

    /** Compared buckets whose digests differed, since start. */
    @Override
    public long bucketsDiffering() {
        return bucketsDiffering.sum();
    }

    /** Newer records taken from peers, since start. */
    @Override
    public long pulled() {
        return pulled.sum();
    }

    /** Records sent to peers that lacked them or held older versions, since start. */
    @Override
    public long pushed() {
        return pushed.sum();
    }

    /** Records dropped while rebuilding, since start. */
    @Override
    public long dropped() {
        return dropped.sum();
    }
}
