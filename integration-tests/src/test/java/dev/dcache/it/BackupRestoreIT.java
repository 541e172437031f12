package dev.dcache.it;

import dev.dcache.common.concurrent.Await;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Records moved by rebalancing are backed up by masters and restored into a respawned, empty cluster. */
class BackupRestoreIT {
    @TempDir
    Path backupDir;

    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster first;
    private TestCluster second;

    @AfterEach
    void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    @Test
    void movedRecords_areBackedUp_andRestoredWhenTheClusterComesBackEmpty() {
        Map<String, String> env = Map.of("BACKUP_DIR", backupDir.toString(), "REPLICATION_FACTOR", "1");
        first = new TestCluster(clock);
        for (int i = 1; i <= 3; i++) {
            first.startAux("aux-" + i, Map.of());
        }
        first.startMaster("master-1", env);
        String m = first.masterUrl(0);
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            Map<String, Object> item = new HashMap<>();
            item.put("key", "b-" + i);
            item.put("value", i % 4 == 1 ? Map.of("v", "v-" + i) : "v-" + i);
            if (i % 5 == 0) {
                item.put("ttl", 3600);
            }
            items.add(item);
        }
        assertThat(Http.postJson(m + "/data/bulk", items).status()).isEqualTo(200);
        for (int i = 2; i < 600; i += 20) {
            Shapes.putBinary(m, "b-" + i, Shapes.binary(i)); // raw bytes are backed up like any record
        }
        List<String> onAux2 = new ArrayList<>();
        first.aux("aux-2").cache().forEach(e -> onAux2.add(e.key()));
        assertThat(onAux2).isNotEmpty();

        // removing aux-2 moves its records (RF=1: it sends them) and they are backed up
        Http.Reply removed = Http.send(HttpRequest.newBuilder(URI.create(m + "/admin/nodes/aux-2"))
                .header("X-Cluster-Token", TestCluster.TOKEN).DELETE());
        assertThat(removed.status()).isEqualTo(202);
        await(() -> first.aux("aux-2").cache().size() == 0);
        await(() -> Http.get(m + "/metrics").body().contains("dcache_backup_records_total{")
                && !Http.get(m + "/metrics").body().contains("dcache_backup_records_total{node=\"master-1\",role=\"master\"} 0.0"));
        first.close();
        first = null;

        // the whole cluster respawns on empty volumes; a master restores the backup
        clock.advance(java.time.Duration.ofSeconds(100));
        second = new TestCluster(clock);
        for (int i = 1; i <= 3; i++) {
            second.startAux("aux-" + i, Map.of());
        }
        second.startMaster("master-1", env);
        String m2 = second.masterUrl(0);
        await(() -> Http.get(m2 + "/data/" + onAux2.get(0)).status() == 200);
        for (String key : onAux2) {
            Http.Reply r = Http.get(m2 + "/data/" + key);
            assertThat(r.status()).as(key).isEqualTo(200);
            int i = Integer.parseInt(key.substring(2));
            if (i % 20 == 2) {
                Shapes.assertBinary(m2, key, Shapes.binary(i));
            } else if (i % 4 == 1) {
                assertThat(r.json().path("value").path("v").asText()).isEqualTo("v-" + i);
            } else {
                assertThat(r.json().path("value").asText()).isEqualTo("v-" + key.substring(2));
            }
            if (Integer.parseInt(key.substring(2)) % 5 == 0) {
                assertThat(r.json().path("ttl").asLong()).as("ttl counts on from where it was").isBetween(3490L, 3500L);
            }
        }
    }

    private static void await(BooleanSupplier condition) {
        Await.until(java.time.Duration.ofSeconds(20), condition);
    }
}
