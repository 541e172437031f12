package dev.dcache.common.ring;

import dev.dcache.common.hash.HashFunction;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * An immutable consistent-hash ring with virtual nodes.
 *
 * <p>Each node id contributes {@code vnodes} points, {@code hash("<id>#<i>")}. A key belongs to
 * the first point clockwise from {@code hash(key)}; its replicas to the next distinct nodes.
 * The ring is a pure function of (node ids, vnodes, hash function): building it from the same
 * set in any order gives the same ring and the same {@link #fingerprint()}, which is how masters
 * check they agree. Membership changes build a new ring (see groupcache's {@code HTTPPool.Set});
 * readers hold whichever ring they loaded and never see a half-built one.
 *
 * <p>Lookups are a binary search over a sorted {@code long[]}: no allocation for the primary
 * owner, one small list for replicas.
 */
public final class HashRing {
    private final List<String> nodes;      // sorted, distinct
    private final long[] points;           // sorted hash positions
    private final int[] owners;            // owners[i] indexes nodes for points[i]
    private final int vnodes;
    private final HashFunction hash;
    private final String fingerprint;

    /**
     * @param nodeIds node ids; duplicates are ignored, order does not matter
     * @param vnodes  virtual nodes per node, at least 1
     * @param hash    the key hash
     * @throws IllegalArgumentException if {@code vnodes < 1}
     */
    public HashRing(Collection<String> nodeIds, int vnodes, HashFunction hash) {
        if (vnodes < 1) {
            throw new IllegalArgumentException("vnodes must be >= 1, was " + vnodes);
        }
        this.nodes = List.copyOf(new TreeSet<>(nodeIds));
        this.vnodes = vnodes;
        this.hash = hash;
        int n = nodes.size() * vnodes;
        long[] raw = new long[n];
        int[] rawOwner = new int[n];
        int k = 0;
        for (int node = 0; node < nodes.size(); node++) {
            for (int v = 0; v < vnodes; v++) {
                raw[k] = hash.hash((nodes.get(node) + "#" + v).getBytes(StandardCharsets.UTF_8));
                rawOwner[k++] = node;
            }
        }
        // sort points, carrying owners along; ties (astronomically rare) break by node order
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(raw[a], raw[b]);
            return c != 0 ? c : Integer.compare(rawOwner[a], rawOwner[b]);
        });
        this.points = new long[n];
        this.owners = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = raw[order[i]];
            owners[i] = rawOwner[order[i]];
        }
        this.fingerprint = computeFingerprint();
    }

    /** The node ids on the ring, sorted. */
    public List<String> nodes() {
        return nodes;
    }

    public int vnodes() {
        return vnodes;
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    /** The hash of a key, as the ring sees it. */
    public long hashOf(String key) {
        return hash.hash(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The node owning {@code key}, or {@code null} when the ring is empty. */
    public String primary(String key) {
        if (points.length == 0) {
            return null;
        }
        return nodes.get(owners[indexFor(hashOf(key))]);
    }

    /**
     * The first {@code count} distinct nodes clockwise from the key: its primary, then its
     * replicas. Fewer when the ring has fewer nodes.
     */
    public List<String> owners(String key, int count) {
        return ownersOfHash(hashOf(key), count);
    }

    /** As {@link #owners(String, int)}, for a precomputed hash. */
    public List<String> ownersOfHash(long keyHash, int count) {
        int want = Math.min(count, nodes.size());
        List<String> result = new ArrayList<>(want);
        if (want == 0) {
            return result;
        }
        boolean[] taken = want > 1 ? new boolean[nodes.size()] : null;
        int i = indexFor(keyHash);
        for (int seen = 0; seen < points.length && result.size() < want; seen++, i++) {
            if (i == points.length) {
                i = 0;
            }
            int owner = owners[i];
            if (taken == null) {
                result.add(nodes.get(owner));
            } else if (!taken[owner]) {
                taken[owner] = true;
                result.add(nodes.get(owner));
            }
        }
        return result;
    }

    /** Returns a ring over the same parameters with a different node set. */
    public HashRing withNodes(Collection<String> nodeIds) {
        return new HashRing(nodeIds, vnodes, hash);
    }

    /**
     * A short, stable digest of the ring's inputs: equal on two masters exactly when they route
     * every key the same way (given the same hash function).
     */
    public String fingerprint() {
        return fingerprint;
    }

    private int indexFor(long keyHash) {
        int i = Arrays.binarySearch(points, keyHash);
        if (i < 0) {
            i = -i - 1;
        }
        return i == points.length ? 0 : i;
    }

    private String computeFingerprint() {
        String canonical = vnodes + "|" + String.join(",", nodes);
        long h = hash.hash(canonical.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().toHexDigits(h);
    }

    @Override
    public String toString() {
        return "HashRing" + nodes + "x" + vnodes + "@" + fingerprint;
    }
}
