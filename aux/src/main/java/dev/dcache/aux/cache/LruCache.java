package dev.dcache.aux.cache;

import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * Each segment is an exact LRU: a {@code HashMap<String, Node>} for lookup and an intrusive doubly
 * linked list of the same nodes in recency order (head = most recent). One {@link ReentrantLock}
 * per segment guards its map, its list and its byte count; nothing is shared between segments but
 * the statistics, which are {@link LongAdder}s. A read must move its node to the head, so reads
 * take the lock too; with 16 segments on a few cores two threads rarely meet on one lock, and the
 * critical section is a map lookup and four pointer writes. Global recency is approximated by
 * per-segment recency: each segment owns {@code 1/n} of both budgets and evicts its own least
 * recently used node, which for well-spread keys is the policy a single list would follow up to
 * sampling noise. (Caffeine's buffered, lock-free reads would be faster; a strict lock keeps the
 * code small and every segment an exact LRU.)
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
public final class LruCache {
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
        long now = clock.millis();
        s.lock.lock();
        try {
            Node n = s.map.get(key);
            if (n == null) {
                misses.increment();
                return null;
            }
            if (n.expiresAt != 0 && n.expiresAt <= now) {
                s.remove(n);
                expirations.increment();
                misses.increment();
                return null;
            }
            if (n.value == null) {
                misses.increment();
                return tombstones ? n.toEntry() : null;
            }
            s.moveToHead(n);
            hits.increment();
            return n.toEntry();
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * The record held for {@code key}, tombstones included, without touching recency; {@code null}
     * when there is none or it has expired.
     */
    public Entry peek(String key) {
        Segment s = segmentFor(key);
        long now = clock.millis();
        s.lock.lock();
        try {
            Node n = s.map.get(key);
            return n == null || n.expiresAt != 0 && n.expiresAt <= now ? null : n.toEntry();
        } finally {
            s.lock.unlock();
        }
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
        return apply(key, null, version, 0).hadLiveValue;
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
            return new Applied(new PutOutcome(false, -1), false);
        }
        s.lock.lock();
        try {
            Node n = s.map.get(key);
            boolean live = false;
            if (n != null) {
                if (n.version >= version) {
                    staleWrites.increment();
                    return new Applied(new PutOutcome(false, n.version), false);
                }
                live = n.value != null && (n.expiresAt == 0 || n.expiresAt > now);
                s.bytes += weight - n.weight;
                n.value = value;
                n.version = version;
                n.expiresAt = expiresAt;
                n.weight = weight;
                s.moveToHead(n);
            } else {
                n = new Node(key, value, version, expiresAt, weight);
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
            return new Applied(new PutOutcome(true, version), live);
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
            if (n == null || n.version != version) {
                return false;
            }
            s.remove(n);
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
                    if (n.expiresAt != 0 && n.expiresAt <= now) {
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
                    if (n.expiresAt == 0 || n.expiresAt > now) {
                        copy.add(n.toEntry());
                    }
                }
            } finally {
                s.lock.unlock();
            }
            copy.forEach(sink);
        }
    }

    /** Records held (values and tombstones, expired ones not yet swept included). */
    public long size() {
        long total = 0;
        for (Segment s : segments) {
            s.lock.lock();
            try {
                total += s.map.size();
            } finally {
                s.lock.unlock();
            }
        }
        return total;
    }

    /** Bytes accounted against the budget. */
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

    public long maxBytes() {
        return maxBytes;
    }

    public long maxEntries() {
        return maxEntries;
    }

    /**
     * A count that grows whenever the stored records change: an applied put or delete, an
     * eviction, or the removal of an expired record. Reads, refused writes and recency changes do
     * not move it. Equal readings mean nothing was stored or removed in between, which is how the
     * snapshot writer skips an unchanged cache. Cheap: it sums the statistics' adders.
     */
    public long changes() {
        return puts.sum() + deletes.sum() + evictions.sum() + expirations.sum();
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
                        throw new IllegalStateException("segment " + i + ": broken links at " + n.key);
                    }
                    if (s.map.get(n.key) != n) {
                        throw new IllegalStateException("segment " + i + ": listed node " + n.key + " is not the mapped one");
                    }
                    if (segmentFor(n.key) != s) {
                        throw new IllegalStateException("segment " + i + ": holds " + n.key + " of another segment");
                    }
                    if (n.weight != Weigher.weigh(n.key, n.value)) {
                        throw new IllegalStateException("segment " + i + ": " + n.key + " weighs " + n.weight);
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

    /** One lock stripe: an exact LRU over its share of the keys and of both budgets. */
    private static final class Segment {
        final ReentrantLock lock = new ReentrantLock();
        /** Guarded by {@link #lock}. */
        final HashMap<String, Node> map = new HashMap<>();
        /** Sentinels of the recency list, guarded by {@link #lock}: head.next is the most recent. */
        final Node head = new Node(null, null, 0, 0, 0);
        final Node tail = new Node(null, null, 0, 0, 0);
        /** Sum of the weights in {@link #map}, guarded by {@link #lock}. */
        long bytes;
        final long maxEntries;
        final long maxBytes;

        Segment(long maxEntries, long maxBytes) {
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
            head.next = tail;
            tail.prev = head;
        }

        void linkAtHead(Node n) {
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
            map.remove(n.key);
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

    /** A record and its place in the recency list; every field is guarded by its segment's lock. */
    private static final class Node {
        final String key;
        String value;
        long version;
        long expiresAt;
        long weight;
        Node prev;
        Node next;

        Node(String key, String value, long version, long expiresAt, long weight) {
            this.key = key;
            this.value = value;
            this.version = version;
            this.expiresAt = expiresAt;
            this.weight = weight;
        }

        Entry toEntry() {
            return new Entry(key, value, version, expiresAt);
        }
    }
}
