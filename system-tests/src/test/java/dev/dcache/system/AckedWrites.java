package dev.dcache.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What clients were told: for every key, the last write or delete the cluster acknowledged, and
 * the values a request that failed or timed out since then may or may not have left behind. The
 * checks compare the cluster against it: through the public API, and node by node against the
 * ring's placement.
 *
 * <p>Thread-safe. Each key must be written by one client thread at a time, so that "the last
 * acknowledged write" is well defined.
 */
final class AckedWrites {
    /** A deleted (or never written) key: what a read of it must find. */
    static final String ABSENT = null;

    /**
     * What a key must hold.
     *
     * @param value    the last acknowledged value, {@link #ABSENT} after an acknowledged delete
     * @param possible values of later requests whose outcome is unknown (may hold {@code null},
     *                 so never a {@code Set.of}, which refuses even to look for null)
     */
    record Expected(String value, Set<String> possible) {
        boolean allows(String observed) {
            return Objects.equals(value, observed) || possible.contains(observed);
        }

        @Override
        public String toString() {
            return (value == null ? "<deleted>" : '"' + value + '"') + (possible.isEmpty() ? "" : " or one of " + possible);
        }
    }

    private final Map<String, Expected> keys = new ConcurrentHashMap<>();

    /** The cluster acknowledged writing {@code value} ({@link #ABSENT}: deleting the key). */
    void acked(String key, String value) {
        keys.put(key, new Expected(value, Collections.emptySet()));
    }

    /** A write of {@code value} ({@link #ABSENT}: a delete) failed or timed out: it may have happened. */
    void unsure(String key, String value) {
        keys.compute(key, (k, old) -> {
            Set<String> possible = new HashSet<>();
            if (old != null) {
                possible.addAll(old.possible());
            }
            possible.add(value);
            return new Expected(old == null ? ABSENT : old.value(), Collections.unmodifiableSet(possible));
        });
    }

    Expected expected(String key) {
        Expected e = keys.get(key);
        return e == null ? new Expected(ABSENT, Collections.emptySet()) : e;
    }

    int size() {
        return keys.size();
    }

    /** Keys whose last acknowledged operation was a delete. */
    long deletedCount() {
        return keys.values().stream().filter(e -> e.value() == null).count();
    }

    /** Keys whose outcome is unknown (a request for them failed since their last acknowledgement). */
    long unsureCount() {
        return keys.values().stream().filter(e -> !e.possible().isEmpty()).count();
    }

    List<String> keys() {
        return new ArrayList<>(keys.keySet());
    }

    /**
     * Reads every key back with {@code GET /data/{key}} through the public API, the read path
     * clients use (it fails over and read-repairs).
     *
     * @return one line per key that does not hold what was acknowledged
     */
    List<String> readBack(Http http, String api) throws IOException, InterruptedException {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Expected> e : new TreeMap<>(keys).entrySet()) {
            Http.Response r = http.get(api + Http.dataPath(e.getKey()));
            String observed;
            if (r.status() == 200) {
                observed = r.json().path("value").asText();
            } else if (r.status() == 404) {
                observed = ABSENT;
            } else {
                wrong.add(r.toString());
                continue;
            }
            if (!e.getValue().allows(observed)) {
                wrong.add(e.getKey() + ": expected " + e.getValue() + ", read " + (observed == null ? "<absent>" : '"' + observed + '"'));
            }
        }
        return wrong;
    }

    /**
     * Reads every key back with {@code POST /data/bulk/get}, {@code batch} keys a request.
     *
     * @return one line per key that does not hold what was acknowledged
     */
    List<String> bulkReadBack(Http http, String api, int batch) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(new TreeMap<>(keys).keySet());
        List<String> wrong = new ArrayList<>();
        for (int from = 0; from < all.size(); from += batch) {
            List<String> slice = all.subList(from, Math.min(all.size(), from + batch));
            Http.Response r = http.post(api + "/data/bulk/get", slice);
            if (r.status() != 200) {
                wrong.add(r.toString());
                continue;
            }
            JsonNode values = r.json().path("values");
            for (String key : slice) {
                JsonNode v = values.get(key);
                String observed = v == null ? ABSENT : v.asText();
                if (!expected(key).allows(observed)) {
                    wrong.add(key + ": expected " + expected(key) + ", bulk read " + (observed == null ? "<missing>" : '"' + observed + '"'));
                }
            }
        }
        return wrong;
    }

    /**
     * Checks where the records are, node by node, against the ring: every owner of a live key
     * holds its acknowledged value, no other node holds a live copy, no node holds a live value
     * of a deleted key, and no node holds a key nobody wrote. Tombstones may sit anywhere.
     *
     * @param dumps   every ring node's {@code /internal/dump}, by node id: key to record
     * @param ringIds the nodes of the ring the masters agree on
     * @return one line per violation
     */
    List<String> placementViolations(Map<String, Map<String, JsonNode>> dumps, List<String> ringIds, int vnodes, int rf) {
        HashRing ring = new HashRing(ringIds, vnodes, HashFunction.FNV1A_MIX);
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Expected> e : new TreeMap<>(keys).entrySet()) {
            String key = e.getKey();
            Expected expected = e.getValue();
            List<String> owners = ring.owners(key, rf);
            for (String node : ringIds) {
                JsonNode record = dumps.get(node).get(key);
                String held = record == null || record.path("value").isNull() ? ABSENT : record.path("value").asText();
                if (owners.contains(node) ? !expected.allows(held) : held != null) {
                    violations.add(key + ": " + node + (owners.contains(node) ? " (an owner)" : " (not an owner)")
                            + " holds " + (record == null ? "nothing" : held == null ? "a tombstone" : '"' + held + '"')
                            + "; owners " + owners + ", expected " + expected);
                }
            }
        }
        for (Map.Entry<String, Map<String, JsonNode>> node : dumps.entrySet()) {
            for (String key : node.getValue().keySet()) {
                if (!keys.containsKey(key)) {
                    violations.add(key + ": on " + node.getKey() + " but never written by this test");
                }
            }
        }
        return violations;
    }
}
