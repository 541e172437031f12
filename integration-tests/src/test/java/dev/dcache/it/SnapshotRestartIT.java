package dev.dcache.it;

import dev.dcache.aux.AuxMain;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.snapshot.RestoreResult;
import dev.dcache.aux.snapshot.SnapshotListener;
import dev.dcache.aux.snapshot.Snapshotter;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Aux nodes keep their records across restarts through the snapshot in their data directory. */
class SnapshotRestartIT {
    private static final int KEYS = 200;

    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private String m0;

    @TempDir
    Path scratch;

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** One aux node (so it owns every key) with the given snapshot interval, and one master. */
    private AuxMain startCluster(String snapshotIntervalMillis) {
        cluster = new TestCluster(clock);
        AuxMain aux = cluster.startAux("aux-1", Map.of("AUX_SNAPSHOT_INTERVAL_MS", snapshotIntervalMillis));
        // one node owns everything, so a probe timing out on a busy machine must not eject it
        cluster.startMaster("master-1", Map.of("REPLICATION_FACTOR", "1", "HEALTH_TIMEOUT_MS", "2000",
                "HEALTH_FAILURES", "10"));
        m0 = cluster.masterUrl(0);
        return aux;
    }

    /** Writes k0..k199, a 100 s TTL key, and a key that is then deleted; returns what the node holds. */
    private Map<String, Entry> writeThroughMaster(AuxMain aux) {
        for (int i = 0; i < KEYS; i++) {
            assertThat(Http.postJson(m0 + "/data", Map.of("key", "k" + i, "value", "v" + i)).status()).isEqualTo(200);
        }
        assertThat(Http.postJson(m0 + "/data", Map.of("key", "ttl-key", "value", "t", "ttl", 100)).status()).isEqualTo(200);
        assertThat(Http.postJson(m0 + "/data", Map.of("key", "deleted", "value", "x")).status()).isEqualTo(200);
        assertThat(Http.delete(m0 + "/data/deleted").status()).isEqualTo(200);
        Map<String, Entry> held = new HashMap<>();
        aux.cache().forEach(e -> held.put(e.key(), e));
        assertThat(held).hasSize(KEYS + 2);
        assertThat(held.get("deleted").isTombstone()).isTrue();
        return held;
    }

    @Test
    void gracefulRestart_onSameDataDirAndPort_bringsBackValuesTombstonesAndTtls() {
        AuxMain before = startCluster("600000"); // no periodic snapshot during the test: only close() saves
        Map<String, Entry> held = writeThroughMaster(before);
        Shapes.putBinary(m0, "shape-bin", Shapes.binary(7));
        Shapes.putJson(m0, "shape-json");
        int port = before.port();
        int binaryPort = before.binaryPort();
        Path dataDir = before.config().dataDir();

        before.close();
        assertThat(dataDir.resolve("snapshot.bin")).isRegularFile();
        clock.advance(Duration.ofSeconds(30));
        AuxMain after = cluster.startAux("aux-1", Map.of("AUX_PORT", Integer.toString(port),
                "AUX_BINARY_PORT", Integer.toString(binaryPort), "AUX_SNAPSHOT_INTERVAL_MS", "600000"));

        assertThat(after.config().dataDir()).isEqualTo(dataDir);
        for (int i = 0; i < KEYS; i++) {
            assertThat(after.cache().peek("k" + i)).as("k" + i).isEqualTo(held.get("k" + i));
        }
        Entry tombstone = after.cache().peek("deleted");
        assertThat(tombstone).isNotNull();
        assertThat(tombstone.isTombstone()).isTrue();
        assertThat(tombstone.version()).isEqualTo(held.get("deleted").version());
        Entry ttl = after.cache().peek("ttl-key");
        assertThat(ttl).isEqualTo(held.get("ttl-key"));
        assertThat(ttl.expiresAt() - clock.millis()).isEqualTo(70_000);

        // and through the master, once it has seen the node come back
        Await.until(java.time.Duration.ofSeconds(10), () -> Http.get(m0 + "/data/k0").status() == 200);
        assertThat(Http.get(m0 + "/data/k7").json().path("value").asText()).isEqualTo("v7");
        assertThat(Http.get(m0 + "/data/ttl-key").json().path("ttl").asLong()).isEqualTo(70);
        assertThat(Http.get(m0 + "/data/deleted").status()).isEqualTo(404);
        Shapes.assertBinary(m0, "shape-bin", Shapes.binary(7));
        Shapes.assertJson(m0, "shape-json");

        clock.advance(Duration.ofSeconds(70));
        assertThat(after.cache().peek("ttl-key")).isNull();
    }

    @Test
    void runningNode_keepsAWholeSnapshotOnDisk_thatCatchesUpWithinIntervals() throws IOException {
        AuxMain aux = startCluster("50");
        Map<String, Entry> held = writeThroughMaster(aux);
        Path snapshot = aux.config().dataDir().resolve("snapshot.bin");

        // what a crash right now would leave behind: the file as it is, the node still running
        // (wait for every record, not a count: a delete replaces a value without changing the count)
        Await.until(java.time.Duration.ofSeconds(10), () -> {
            LruCache copy = restoredFromCopy(snapshot);
            return held.entrySet().stream().allMatch(e -> e.getValue().equals(copy.peek(e.getKey())));
        });

        LruCache restored = restoredFromCopy(snapshot);
        held.forEach((key, entry) -> assertThat(restored.peek(key)).as(key).isEqualTo(entry));
        assertThat(Http.get("http://127.0.0.1:" + aux.port() + "/metrics").body())
                .contains("dcache_snapshot_writes_total")
                .contains("dcache_snapshot_last_success_time_seconds");
    }

    /** Restores a copy of {@code snapshot} (taken now, while the node may be writing) into a new cache. */
    private LruCache restoredFromCopy(Path snapshot) {
        LruCache cache = new LruCache(10_000, 1L << 26, 16, 300_000, clock);
        try {
            Path dir = Files.createTempDirectory(scratch, "copy");
            if (Files.exists(snapshot)) {
                Files.copy(snapshot, dir.resolve("snapshot.bin"), StandardCopyOption.REPLACE_EXISTING);
            }
            RestoreResult r = new Snapshotter(dir, cache, clock, SnapshotListener.NONE).restore();
            assertThat(r.outcome()).as("never a damaged file: %s", r.problem()).isNotEqualTo(RestoreResult.Outcome.DISCARDED);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return cache;
    }

}
