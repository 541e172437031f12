package dev.dcache.common.wire;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.http.Json;
import dev.dcache.common.ring.NodeAddress;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Heartbeats and replies between nodes of different versions, as the cluster's own mapper reads
 * them: a rolling upgrade has old masters talking to new aux nodes and the other way round.
 */
class HeartbeatJsonTest {
    private final ObjectMapper mapper = Json.mapper(1 << 20);

    @Test
    void aHeartbeatFromAMasterThatPredatesPushes_reads_asNoNearCache() throws Exception {
        Heartbeat hb = mapper.readValue("""
                {"master":"m-1","intervalMillis":1000,"ring":null,"changes":[],"port":8001,"nonce":null}
                """, Heartbeat.class);
        assertThat(hb.nearCache()).isFalse();
        assertThat(hb.port()).isEqualTo(8001);
    }

    @Test
    void aReplyFromANodeThatPredatesPushes_reads_withNoMastersListed() throws Exception {
        HeartbeatReply reply = mapper.readValue("""
                {"status":"up","id":"aux-1","binaryPort":0,"changes":[],"rebalance":null,"entries":3,"proof":null}
                """, HeartbeatReply.class);
        assertThat(reply.nearCacheMasters()).isNull();
        assertThat(reply.entries()).isEqualTo(3);
    }

    @Test
    void bothRoundTrip_withTheNewFields() throws Exception {
        Heartbeat hb = new Heartbeat("m-1", 1000, null, List.of(), 8001, "n", true);
        assertThat(mapper.readValue(mapper.writeValueAsBytes(hb), Heartbeat.class)).isEqualTo(hb);
        HeartbeatReply reply = new HeartbeatReply("up", "aux-1", 9101, List.of(), null, 0, null,
                List.of(new NodeAddress("m-1", "[::1]", 8001)));
        assertThat(mapper.readValue(mapper.writeValueAsBytes(reply), HeartbeatReply.class)).isEqualTo(reply);
    }
}
