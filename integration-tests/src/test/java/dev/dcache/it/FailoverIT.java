package dev.dcache.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.aux.AuxMain;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Aux nodes dying and coming back under the masters' feet. */
class FailoverIT {
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private String m0;
    private String m1;

    @BeforeEach
    void start() {
        cluster = new TestCluster(clock);
        for (int i = 1; i <= 3; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        cluster.startMaster("master-1", Map.of());
        cluster.startMaster("master-2", Map.of("AUX_TRANSPORT", "http"));
        m0 = cluster.masterUrl(0);
        m1 = cluster.masterUrl(1);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void oneAuxDown_everyKeyStillReadable_andWritesSucceed(int master) {
        String m = cluster.masterUrl(master);
        for (int i = 0; i < 200; i++) {
            assertThat(Http.postJson(m + "/data", Map.of("key", "k" + i, "value", "v" + i)).status()).isEqualTo(200);
        }
        cluster.aux("aux-2").close();

        for (int i = 0; i < 200; i++) {
            Http.Reply r = Http.get(m + "/data/k" + i);
            assertThat(r.status()).as("k" + i + ": " + r.body()).isEqualTo(200);
            assertThat(r.json().path("value").asText()).isEqualTo("v" + i);
        }
        for (int i = 0; i < 50; i++) {
            Http.Reply w = Http.postJson(m + "/data", Map.of("key", "after-" + i, "value", "x"));
            assertThat(w.status()).as(w.body()).isEqualTo(200);
            assertThat(Http.get(m + "/data/after-" + i).status()).isEqualTo(200);
        }
    }

    @Test
    void deadAux_isEjectedByBothMasters_andTheyAgreeOnTheRing() {
        cluster.aux("aux-3").close();
        await(() -> state(m0, "aux-3").equals("down") && state(m1, "aux-3").equals("down"));
        JsonNode a = Http.get(m0 + "/cluster").json();
        JsonNode b = Http.get(m1 + "/cluster").json();
        assertThat(a.path("ring").toString()).isEqualTo("[\"aux-1\",\"aux-2\"]");
        assertThat(a.path("fingerprint").asText()).isEqualTo(b.path("fingerprint").asText());
    }

    @Test
    void returningAux_isReadmittedAfterGoodProbes() {
        AuxMain aux3 = cluster.aux("aux-3");
        int port = aux3.port();
        String before = Http.get(m0 + "/cluster").json().path("fingerprint").asText();
        aux3.close();
        await(() -> state(m0, "aux-3").equals("down"));
        cluster.startAux("aux-3", Map.of("AUX_PORT", Integer.toString(port)));
        await(() -> state(m0, "aux-3").equals("up") && state(m1, "aux-3").equals("up"));
        assertThat(Http.get(m0 + "/cluster").json().path("fingerprint").asText()).isEqualTo(before);
        assertThat(Http.postJson(m0 + "/data", Map.of("key", "back", "value", "again")).status()).isEqualTo(200);
    }

    @Test
    void allAuxDown_answers503JsonWithRetryAfter_neverA500() {
        cluster.aux().forEach(AuxMain::close);
        for (String m : new String[]{m0, m1}) {
            Http.Reply get = Http.get(m + "/data/anything");
            assertThat(get.status()).isEqualTo(503);
            assertThat(get.error()).isNotBlank();
            Http.Reply put = Http.postJson(m + "/data", Map.of("key", "k", "value", "v"));
            assertThat(put.status()).isEqualTo(503);
            assertThat(put.error()).isNotBlank();
        }
        await(() -> Http.get(m0 + "/cluster").json().path("ring").isEmpty());
        Http.Reply empty = Http.send(HttpRequest.newBuilder(URI.create(m0 + "/data/x")).GET());
        assertThat(empty.status()).isEqualTo(503);
        assertThat(empty.error()).contains("no aux node is up");
    }

    private static String state(String master, String id) {
        for (JsonNode n : Http.get(master + "/cluster").json().path("nodes")) {
            if (n.path("id").asText().equals(id)) {
                return n.path("state").asText();
            }
        }
        return "absent";
    }

    private static void await(BooleanSupplier condition) {
        Await.until(java.time.Duration.ofSeconds(10), condition);
    }
}
