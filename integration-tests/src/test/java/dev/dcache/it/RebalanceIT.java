package dev.dcache.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.aux.AuxMain;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Nodes joining, leaving and dying: every live key ends up on exactly its owners. */
class RebalanceIT {
    private static final int KEYS = 2000;

    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void start(int aux, int rf) {
        cluster = new TestCluster(clock);
        for (int i = 1; i <= aux; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        Map<String, String> env = Map.of("REPLICATION_FACTOR", Integer.toString(rf));
        cluster.startMaster("master-1", env);
        cluster.startMaster("master-2", env);
    }

    @Test
    void addedNode_receivesItsShare_andOldCopiesAreDropped() {
        start(3, 2);
        String m = cluster.masterUrl(0);
        writeKeys(m);
        Map<String, List<String>> before = placement();

        AuxMain aux4 = cluster.startAux("aux-4", Map.of());
        Http.Reply added = Http.send(HttpRequest.newBuilder(URI.create(m + "/admin/nodes"))
                .header("X-Cluster-Token", TestCluster.TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"id\":\"aux-4\",\"address\":\"127.0.0.1:" + aux4.port() + "\"}")));
        assertThat(added.status()).as(added.body()).isEqualTo(202);

        await(() -> ring(cluster.masterUrl(1)).size() == 4 && ring(m).size() == 4);
        awaitPlacement(List.of("aux-1", "aux-2", "aux-3", "aux-4"), 2);
        assertEveryKeyReadable(cluster.masterUrl(1));

        Map<String, List<String>> after = placement();
        long moved = before.keySet().stream().filter(k -> !after.get(k).equals(before.get(k))).count();
        assertThat(after.values().stream().filter(o -> o.contains("aux-4")).count()).isGreaterThan(KEYS / 4);
        System.out.printf("add aux-4: %d of %d keys changed owners (%.1f%%)%n", moved, KEYS, 100.0 * moved / KEYS);
        assertThat(moved).isLessThan(KEYS * 3 / 4);
    }

    @Test
    void removedNode_handsItsKeysToTheRemainingOwners() {
        start(3, 2);
        String m = cluster.masterUrl(0);
        writeKeys(m);
        Http.Reply removed = Http.send(HttpRequest.newBuilder(URI.create(m + "/admin/nodes/aux-2"))
                .header("X-Cluster-Token", TestCluster.TOKEN).DELETE());
        assertThat(removed.status()).as(removed.body()).isEqualTo(202);

        await(() -> ring(cluster.masterUrl(1)).equals(List.of("aux-1", "aux-3")));
        awaitPlacement(List.of("aux-1", "aux-3"), 2);
        assertThat(records(cluster.aux("aux-2"))).isEmpty();
        assertEveryKeyReadable(cluster.masterUrl(1));
    }

    @Test
    void deadNode_replicasAreRestoredOnTheSurvivors() {
        start(3, 2);
        String m = cluster.masterUrl(0);
        writeKeys(m);
        cluster.aux("aux-3").close();

        await(() -> ring(m).size() == 2 && ring(cluster.masterUrl(1)).size() == 2);
        awaitPlacement(List.of("aux-1", "aux-2"), 2);
        assertEveryKeyReadable(m);
    }

    @Test
    void gracefulShutdown_withRf1_losesNoKey() {
        start(3, 1);
        String m = cluster.masterUrl(0);
        writeKeys(m);
        cluster.aux("aux-2").shutdown();

        await(() -> ring(m).size() == 2);
        assertEveryKeyReadable(m);
        assertEveryKeyReadable(cluster.masterUrl(1));
    }

    @Test
    void deletedKey_staysDeleted_whenItsCopiesMove() {
        start(3, 2);
        String m = cluster.masterUrl(0);
        writeKeys(m);
        for (int i = 0; i < KEYS; i += 10) {
            assertThat(Http.delete(m + "/data/key-" + i).status()).isEqualTo(200);
        }
        cluster.aux("aux-1").close();
        await(() -> ring(m).size() == 2 && ring(cluster.masterUrl(1)).size() == 2);
        awaitPlacement(List.of("aux-2", "aux-3"), 2);
        for (int i = 0; i < KEYS; i++) {
            Http.Reply r = Http.get(cluster.masterUrl(1) + "/data/key-" + i);
            assertThat(r.status()).as("key-" + i).isEqualTo(i % 10 == 0 ? 404 : 200);
        }
    }

    private void writeKeys(String master) {
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            Map<String, Object> item = new HashMap<>();
            item.put("key", "key-" + i);
            item.put("value", i % 5 == 1 ? Map.of("n", i, "s", "value-" + i) : "value-" + i);
            if (i % 7 == 0) {
                item.put("ttl", 3600);
            }
            batch.add(item);
            if (batch.size() == 500) {
                assertThat(Http.postJson(master + "/data/bulk", batch).status()).isEqualTo(200);
                batch.clear();
            }
        }
        for (int i = 3; i < KEYS; i += 50) {
            Shapes.putBinary(master, "key-" + i, Shapes.binary(i)); // raw bytes move like any record
        }
    }

    private void assertEveryKeyReadable(String master) {
        for (int i = 0; i < KEYS; i++) {
            Http.Reply r = Http.get(master + "/data/key-" + i);
            assertThat(r.status()).as("key-" + i + " " + r.body()).isEqualTo(200);
            if (i % 50 == 3) {
                Shapes.assertBinary(master, "key-" + i, Shapes.binary(i));
                continue;
            }
            if (i % 5 == 1) {
                assertThat(r.json().path("value").path("n").asInt()).isEqualTo(i);
                assertThat(r.json().path("value").path("s").asText()).isEqualTo("value-" + i);
            } else {
                assertThat(r.json().path("value").asText()).isEqualTo("value-" + i);
            }
            if (i % 7 == 0) {
                assertThat(r.json().path("ttl").asLong()).as("ttl kept for key-" + i).isBetween(3590L, 3600L);
            }
        }
    }

    /** Waits until every live key is held by exactly its owners among {@code up}, and nowhere else. */
    private void awaitPlacement(List<String> up, int rf) {
        HashRing ring = new HashRing(up, 256, HashFunction.FNV1A_MIX);
        await(() -> {
            Map<String, List<String>> where = placement();
            if (where.size() != KEYS && where.keySet().stream().noneMatch(k -> k.startsWith("key-"))) {
                return false;
            }
            for (Map.Entry<String, List<String>> e : where.entrySet()) {
                List<String> owners = new ArrayList<>(ring.owners(e.getKey(), rf));
                List<String> holders = new ArrayList<>(e.getValue());
                owners.sort(null);
                holders.sort(null);
                if (!owners.equals(holders)) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Key -> ids of the running aux nodes holding a live value or tombstone for it. */
    private Map<String, List<String>> placement() {
        Map<String, List<String>> where = new HashMap<>();
        for (AuxMain a : cluster.aux()) {
            if (a.agent().draining() || !a.isRunning()) {
                continue;
            }
            for (Entry e : records(a)) {
                where.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(a.config().id());
            }
        }
        return where;
    }

    private static List<Entry> records(AuxMain a) {
        List<Entry> all = new ArrayList<>();
        a.cache().forEach(all::add);
        return all;
    }

    private static List<String> ring(String master) {
        List<String> ids = new ArrayList<>();
        for (JsonNode n : Http.get(master + "/cluster").json().path("ring")) {
            ids.add(n.asText());
        }
        return ids;
    }

    private static void await(BooleanSupplier condition) {
        Await.until(java.time.Duration.ofSeconds(20), condition);
    }
}
