package dev.dcache.aux.cache;

import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The aux node's store: a bounded LRU with TTLs, versions and tombstones, written by hand as a
 * hash map plus a doubly linked list.
 *
 * <h2>Design</h2>
 *
 * <p><b>Striping.</b> Keys are spread over {@code 2^k} {@link Segment}s by a mix of their hash.
 * Each segment is an LRU: a {@code ConcurrentHashMap<String, Node>} for lookup and an intrusive
 * doubly linked list of the same nodes in recency order (head = most recent). One
 * {@link ReentrantLock} per segment guards its list, its byte count and every change to its map;
 * nothing is shared between segments but the statistics, which are {@link LongAdder}s.
 *
 * <p><b>Reads take no lock to find their value.</b> A node's contents are one immutable
 * {@link Entry} behind a {@code volatile} field, replaced whole by writers, so a reader that
 * finds the node in the map sees a complete record (never a new value with an old version) and
 * returns it without copying. Only the move to the head of the list needs the lock, and a read
 * takes it with {@code tryLock}: when a writer or another reader holds it, the read skips the
 * move. A read also skips it when the node is still among the most recent eighth of its segment
 * (fewer than {@code size/8} nodes went to the head since it did): moving it would reorder only
 * nodes far from the tail, where eviction happens, and on a skewed workload the hot keys are
 * exactly those, so their reads take no lock at all (memcached bumps an item at most once a
 * minute for the same reason). Recency is therefore approximate within the newest eighth and
 * under contention (a hot key read concurrently may miss some promotions, which only delays its
 * eviction, never returns a wrong value); a segment of fewer than eight entries without
 * contention is an exact LRU. Caffeine makes the same trade with its lossy read buffers. Global
 * recency is approximated by per-segment recency: each segment owns {@code 1/n} of both budgets
 * and evicts its own least recently used node, which for well-spread keys is the policy a single
 * list would follow up to sampling noise.
 *
 * <p><b>Bounds.</b> Both a maximum entry count and a byte budget are enforced after every
 * insert, by evicting from the tail. A node's weight is the retained size of its key and value
 * strings plus {@link Weigher#ENTRY_OVERHEAD}, the measured cost of the node, the map's node and
 * its table slot. A single entry heavier than one segment's budget is refused
 * ({@link PutOutcome} with {@code applied=false}, see {@link #put}).
 *
 * <p><b>Versions and tombstones.</b> Every record carries the version the master assigned. A
 * write is applied only if its version is strictly higher than the version held for the key,
 * live, expired-but-not-yet-removed, or deleted, so a late or replayed write never wins. A delete
 * is itself such a write: it leaves a tombstone (value {@code null}) that expires after the
 * tombstone TTL, so an older copy arriving from a replica or a snapshot cannot resurrect the key
 * during that window. Tombstones count against both budgets and are evicted like any record.
 *
 * <p><b>Time.</b> Expiry is absolute epoch milliseconds from the master; "now" comes from the
 * injected {@link InstantSource}, so tests advance a fake clock instead of sleeping. An expired
 * record is never returned: {@link #get} removes it when it finds it, and {@link #sweep} removes
 * the rest periodically.
 */
public final class LruCache implements AuxMetrics.CacheReadings {
    private final Segment[] segments;
    private final int segmentShift;
    private final InstantSource clock;
    private final long tombstoneTtlMillis;
    private final long maxEntries;
    private final long maxBytes;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder staleWrites = new LongAdder();
    private final LongAdder rejectedWrites = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();
    private final LongAdder dropped = new LongAdder();

    /**
     * @param maxEntries         the most records (values and tombstones) held, at least the segment count
     * @param maxBytes           the byte budget, see {@link Weigher}
     * @param segments           lock stripes, a power of two
     * @param tombstoneTtlMillis how long a delete is remembered
     * @param clock              source of "now"
     * @throws IllegalArgumentException when a bound is not positive or {@code segments} is not a power of two
     */
    public LruCache(long maxEntries, long maxBytes, int segments, long tombstoneTtlMillis, InstantSource clock) {
        if (segments < 1 || Integer.bitCount(segments) != 1) {
            throw new IllegalArgumentException("segments must be a power of two, was " + segments);
        }
        if (maxEntries < segments) {
            throw new IllegalArgumentException("maxEntries must be >= segments (" + segments + "), was " + maxEntries);
        }
        if (maxBytes < (long) segments * Weigher.ENTRY_OVERHEAD) {
            throw new IllegalArgumentException("maxBytes is too small for " + segments + " segments: " + maxBytes);
        }
        if (tombstoneTtlMillis < 1) {
            throw new IllegalArgumentException("tombstoneTtlMillis must be positive, was " + tombstoneTtlMillis);
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.tombstoneTtlMillis = tombstoneTtlMillis;
        this.segments = new Segment[segments];
        this.segmentShift = 32 - Integer.numberOfTrailingZeros(segments);
        for (int i = 0; i < segments; i++) {
            this.segments[i] = new Segment(maxEntries / segments, maxBytes / segments);
        }
    }

    /** The live value for {@code key} (marking it most recently used), or {@code null}. */
    public Entry get(String key) {
        return lookup(key, false);
    }

    /**
     * The live value for {@code key} (marking it most recently used) or, when the key was deleted,
     * its tombstone; {@code null} when the node holds nothing for the key. One lock acquisition, so
     * a concurrent write is seen entirely or not at all.
     */
    public Entry getOrTombstone(String key) {
        return lookup(key, true);
    }

    private Entry lookup(String key, boolean tombstones) {
        Segment s = segmentFor(key);
        Node n = s.map.get(key);
        if (n == null) {
            misses.increment();
            return null;
        }
        Entry e = n.record;
        if (e.expiresAt() != 0 && e.isExpiredAt(clock.millis())) { // no clock read for records without a TTL
            s.lock.lock();
            try {
                if (n.record == e && n.prev != null) { // still this record, still linked
                    s.remove(n);
                    expirations.increment();
                }
            } finally {
                s.lock.unlock();
            }
            misses.increment();
            return null;
        }
        if (e.isTombstone()) {
            misses.increment();
            return tombstones ? e : null;
        }
        // racy reads, used only to decide whether to try: a node still among the most recent eighth
        // of its segment is left where it is (see the design note)
        if (s.ticks - n.stamp > (s.map.size() >>> 3)
                && s.lock.tryLock()) { // busy: skip the promotion rather than wait (see the design note)
            try {
                if (n.prev != null) { // not evicted meanwhile
                    s.moveToHead(n);
                }
            } finally {
                s.lock.unlock();
            }
        }
        hits.increment();
        return e;
    }

    /**
     * The record held for {@code key}, tombstones included, without touching recency; {@code null}
     * when there is none or it has expired.
     */
    public Entry peek(String key) {
        Node n = segmentFor(key).map.get(key);
        if (n == null) {
            return null;
        }
        Entry e = n.record;
        return e.isExpiredAt(clock.millis()) ? null : e;
    }

    /**
     * Applies a write if its version is newer than what is held for the key. A tombstone
     * ({@code value == null}) with no expiry is given the tombstone TTL.
     *
     * @return whether it was applied, and the version held afterwards; {@code applied=false} with
     *     version {@code -1} when the record alone exceeds a segment's byte budget
     */
    public PutOutcome put(Entry entry) {
        return apply(entry.key(), entry.value(), entry.version(), entry.expiresAt()).outcome;
    }

    /**
     * Records a delete at {@code version}: a tombstone replaces the value unless the key already
     * holds an equal or newer version.
     *
     * @return true when a live value was there before
     */
    public boolean delete(String key, long version) {
        return deleteAt(key, version).existed();
    }

    /**
     * {@link #delete}, also saying which version the key holds afterwards: {@code version} when the
     * tombstone was written, a higher one when a newer write was already there.
     */
    public DeleteOutcome deleteAt(String key, long version) {
        Applied a = apply(key, null, version, 0);
        return new DeleteOutcome(a.hadLiveValue, a.outcome.version());
    }

    private record Applied(PutOutcome outcome, boolean hadLiveValue) {
    }

    private Applied apply(String key, String value, long version, long expiresAt) {
        long now = clock.millis();
        if (value == null && expiresAt == 0) {
            expiresAt = now + tombstoneTtlMillis;
        }
        long weight = Weigher.weigh(key, value);
        Segment s = segmentFor(key);
        if (weight > s.maxBytes) {
            rejectedWrites.increment();
            return new Applied(PutOutcome.ofTooLarge(), false);
        }
        Entry record = new Entry(key, value, version, expiresAt);
        s.lock.lock();
        try {
            Node n = s.map.get(key);
            boolean live = false;
            if (n != null) {
                Entry held = n.record;
                if (held.version() >= version) {
                    staleWrites.increment();
                    return new Applied(PutOutcome.superseded(held.version()), false);
                }
                live = !held.isTombstone() && !held.isExpiredAt(now);
                s.bytes += weight - n.weight;
                n.record = record;
                n.weight = (int) weight;
                s.moveToHead(n);
            } else {
                n = new Node(record, (int) weight);
                s.map.put(key, n);
                s.linkAtHead(n);
                s.bytes += weight;
            }
            if (value == null) {
                deletes.increment();
            } else {
                puts.increment();
            }
            evictions.add(s.evictOverflow(n));
            return new Applied(PutOutcome.applied(version), live);
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Removes the record for {@code key} outright, leaving no tombstone, if it still holds exactly
     * {@code version}: used after a rebalance handed the record to the nodes that own it now. A
     * newer write that arrived meanwhile is kept.
     *
     * @return true when the record was removed
     */
    public boolean drop(String key, long version) {
        Segment s = segmentFor(key);
        s.lock.lock();
        try {
            Node n = s.map.get(key);
            if (n == null || n.record.version() != version) {
                return false;
            }
            s.remove(n);
            dropped.increment();
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Removes every expired record (values past their TTL, tombstones past theirs), one segment
     * at a time so no lock is held for more than one segment's scan.
     *
     * @return how many records were removed
     */
    public int sweep() {
        int removed = 0;
        for (Segment s : segments) {
            long now = clock.millis();
            s.lock.lock();
            try {
                for (Node n = s.head.next; n != s.tail; ) {
                    Node next = n.next;
                    if (n.record.isExpiredAt(now)) {
                        s.remove(n);
                        removed++;
                    }
                    n = next;
                }
            } finally {
                s.lock.unlock();
            }
        }
        expirations.add(removed);
        return removed;
    }

    /**
     * Hands every unexpired record, tombstones included, to {@code sink}, least recently used
     * first within each segment. Each segment is copied under its lock and handed over after
     * the lock is released, so a slow sink never blocks requests.
     */
    public void forEach(Consumer<Entry> sink) {
        for (Segment s : segments) {
            List<Entry> copy;
            long now = clock.millis();
            s.lock.lock();
            try {
                copy = new ArrayList<>(s.map.size());
                for (Node n = s.tail.prev; n != s.head; n = n.prev) {
                    Entry e = n.record;
                    if (!e.isExpiredAt(now)) {
                        copy.add(e);
                    }
                }
            } finally {
                s.lock.unlock();
            }
            copy.forEach(sink);
        }
    }

    /** Records held (values and tombstones, expired ones not yet swept included). */
    @Override
    public long size() {
        long total = 0;
        for (Segment s : segments) {
            total += s.map.size();
        }
        return total;
    }

    /** Bytes accounted against the budget. */
    @Override
    public long bytes() {
        long total = 0;
        for (Segment s : segments) {
            s.lock.lock();
            try {
                total += s.bytes;
            } finally {
                s.lock.unlock();
            }
        }
        return total;
    }

    @Override
    public long maxBytes() {
        return maxBytes;
    }

    @Override
    public long maxEntries() {
        return maxEntries;
    }

    /**
     * A count that grows whenever the stored records change: an applied put or delete, an
     * eviction, a record dropped after rebalancing handed it over ({@link #drop}), or the removal
     * of an expired record. Reads, refused writes and recency changes do
     * not move it. Equal readings mean nothing was stored or removed in between, which is how the
     * snapshot writer skips an unchanged cache. Cheap: it sums the statistics' adders.
     */
    public long changes() {
        return puts.sum() + deletes.sum() + evictions.sum() + expirations.sum() + dropped.sum();
    }

    @Override
    public long hits() {
        return hits.sum();
    }

    @Override
    public long misses() {
        return misses.sum();
    }

    @Override
    public long puts() {
        return puts.sum();
    }

    @Override
    public long deletes() {
        return deletes.sum();
    }

    @Override
    public long staleWrites() {
        return staleWrites.sum();
    }

    @Override
    public long rejectedWrites() {
        return rejectedWrites.sum();
    }

    @Override
    public long evictions() {
        return evictions.sum();
    }

    @Override
    public long expirations() {
        return expirations.sum();
    }

    /** Cumulative counters since start. */
    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), puts.sum(), deletes.sum(), staleWrites.sum(),
                rejectedWrites.sum(), evictions.sum(), expirations.sum());
    }

    /** Cumulative counters, for metrics. */
    public record Stats(long hits, long misses, long puts, long deletes, long staleWrites,
                        long rejectedWrites, long evictions, long expirations) {
    }

    /**
     * Walks every segment under its lock and checks that its list and map agree: the list, walked
     * both ways, holds exactly the map's nodes, every link is mirrored, each node sits in the
     * segment its key hashes to and weighs what {@link Weigher} says, and the byte count and both
     * bounds hold. For tests; linear in the size of the cache.
     *
     * @throws IllegalStateException naming the first inconsistency found
     */
    void checkInvariants() {
        for (int i = 0; i < segments.length; i++) {
            Segment s = segments[i];
            s.lock.lock();
            try {
                long count = 0;
                long bytes = 0;
                for (Node n = s.head.next; n != s.tail; n = n.next) {
                    if (++count > s.map.size()) {
                        throw new IllegalStateException("segment " + i + ": list longer than map (" + s.map.size() + ")");
                    }
                    if (n.next == null || n.next.prev != n || n.prev == null || n.prev.next != n) {
                        throw new IllegalStateException("segment " + i + ": broken links at " + n.key());
                    }
                    if (s.map.get(n.key()) != n) {
                        throw new IllegalStateException("segment " + i + ": listed node " + n.key() + " is not the mapped one");
                    }
                    if (segmentFor(n.key()) != s) {
                        throw new IllegalStateException("segment " + i + ": holds " + n.key() + " of another segment");
                    }
                    if (n.weight != Weigher.weigh(n.key(), n.record.value())) {
                        throw new IllegalStateException("segment " + i + ": " + n.key() + " weighs " + n.weight);
                    }
                    bytes += n.weight;
                }
                long backwards = 0;
                for (Node n = s.tail.prev; n != s.head; n = n.prev) {
                    backwards++;
                }
                if (count != s.map.size() || backwards != count) {
                    throw new IllegalStateException("segment " + i + ": list has " + count + " forwards, "
                            + backwards + " backwards, map has " + s.map.size());
                }
                if (bytes != s.bytes) {
                    throw new IllegalStateException("segment " + i + ": bytes is " + s.bytes + ", nodes weigh " + bytes);
                }
                if (s.map.size() > s.maxEntries || s.bytes > s.maxBytes) {
                    throw new IllegalStateException("segment " + i + ": " + s.map.size() + " entries, " + s.bytes
                            + " bytes exceed " + s.maxEntries + ", " + s.maxBytes);
                }
            } finally {
                s.lock.unlock();
            }
        }
    }

    private Segment segmentFor(String key) {
        int h = key.hashCode() * 0x9E3779B9;
        return segments[segmentShift == 32 ? 0 : h >>> segmentShift];
    }

    /** One lock stripe: an LRU over its share of the keys and of both budgets. */
    private static final class Segment {
        final ReentrantLock lock = new ReentrantLock();
        /** Read without the lock; changed only under {@link #lock}. */
        final ConcurrentHashMap<String, Node> map = new ConcurrentHashMap<>();
        /** Sentinels of the recency list, guarded by {@link #lock}: head.next is the most recent. */
        final Node head = new Node(null, 0);
        final Node tail = new Node(null, 0);
        /** Sum of the weights in {@link #map}, guarded by {@link #lock}. */
        long bytes;
        /** Nodes placed at the head so far, written under {@link #lock}, read racily by readers. */
        long ticks;
        final long maxEntries;
        final long maxBytes;

        Segment(long maxEntries, long maxBytes) {
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
            head.next = tail;
            tail.prev = head;
        }

        void linkAtHead(Node n) {
            n.stamp = ++ticks;
            n.prev = head;
            n.next = head.next;
            head.next.prev = n;
            head.next = n;
        }

        void unlink(Node n) {
            n.prev.next = n.next;
            n.next.prev = n.prev;
            n.prev = null;
            n.next = null;
        }

        void moveToHead(Node n) {
            if (head.next != n) {
                unlink(n);
                linkAtHead(n);
            }
        }

        void remove(Node n) {
            unlink(n);
            map.remove(n.key());
            bytes -= n.weight;
        }

        /** Evicts least recently used nodes, never {@code keep}, until within both bounds. */
        int evictOverflow(Node keep) {
            int evicted = 0;
            while ((map.size() > maxEntries || bytes > maxBytes) && tail.prev != head) {
                Node victim = tail.prev;
                if (victim == keep) {
                    break; // keep alone fits: put() refused anything heavier than maxBytes
                }
                remove(victim);
                evicted++;
            }
            return evicted;
        }
    }

    /**
     * A record and its place in the recency list. {@link #record} is read without the lock and
     * replaced whole under it; the other fields are guarded by the segment's lock. {@code prev} is
     * null once the node is unlinked (removed or evicted).
     */
    private static final class Node {
        volatile Entry record;
        int weight;
        /** {@link Segment#ticks} when the node last went to the head; written under the lock. */
        long stamp;
        Node prev;
        Node next;

        Node(Entry record, int weight) {
            this.record = record;
            this.weight = weight;
        }

        String key() {
            return record.key();
        }
    }
}
