package dev.dcache.it;

import dev.dcache.aux.AuxMain;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An aux node restarted from an old snapshot never answers a read with what it missed: it starts
 * recovering, refuses reads while its keys are read from the other owner, and serves again once it
 * has caught up, holding the writes and deletes made while it was down.
 */
class RecoveryIT {
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void restartedOwner_refusesReadsUntilCaughtUp_thenHoldsTheWritesAndDeletesItMissed() {
        cluster = new TestCluster(clock);
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of("AUX_SNAPSHOT_INTERVAL_MS", "600000"));
        }
        cluster.startMaster("master-1", Map.of("REPLICATION_FACTOR", "2"));
        String m = cluster.masterUrl(0);
        HashRing ring = new HashRing(List.of("aux-1", "aux-2", "aux-3"), 256, HashFunction.FNV1A_MIX);
        String key = "k";
        String gone = null;
        String owner = ring.owners(key, 2).get(0);
        for (int i = 0; gone == null; i++) {
            if (ring.owners("d" + i, 2).contains(owner)) {
                gone = "d" + i;
            }
        }
        assertThat(Http.postJson(m + "/data", Map.of("key", key, "value", "v1")).status()).isEqualTo(200);
        assertThat(Http.postJson(m + "/data", Map.of("key", gone, "value", "x")).status()).isEqualTo(200);

        AuxMain before = cluster.aux(owner);
        int port = before.port();
        int binaryPort = before.binaryPort();
        before.close(); // as a crash, after a last snapshot holding v1 and x
        long start = System.nanoTime();
        assertThat(Http.postJson(m + "/data", Map.of("key", key, "value", "v2")).status())
                .as("acknowledged once the owner is fenced").isEqualTo(200);
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(Http.delete(m + "/data/" + gone).status()).isEqualTo(200);

        AuxMain after = cluster.startAux(owner, Map.of("AUX_PORT", Integer.toString(port),
                "AUX_BINARY_PORT", Integer.toString(binaryPort), "AUX_SNAPSHOT_INTERVAL_MS", "600000"));
        assertThat(after.cache().peek(key).value()).as("restored from its old snapshot").isEqualTo("v1");
        Http.Reply direct = Http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/internal/entry?key=" + key))
                .header("X-Cluster-Token", TestCluster.TOKEN).GET());
        assertThat(direct.status()).as("it refuses reads: %s", direct.body()).isEqualTo(503);
        assertThat(Http.get(m + "/data/" + key).json().path("value").asText()).as("read from the other owner")
                .isEqualTo("v2");

        Await.until(Duration.ofSeconds(20), () -> after.readiness().serving());
        assertThat(after.cache().peek(key).value()).as("caught up").isEqualTo("v2");
        assertThat(after.cache().peek(gone).isTombstone()).as("the delete it missed").isTrue();
        assertThat(Http.get(m + "/data/" + gone).status()).isEqualTo(404);
        System.out.printf("write waited %d ms for the owner to be fenced%n", waitedMs);
    }
}
