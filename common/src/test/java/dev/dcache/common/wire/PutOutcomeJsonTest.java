package dev.dcache.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.http.Json;
import org.junit.jupiter.api.Test;

/**
 * A write's outcome on the HTTP transport keeps the JSON shape nodes of every version read and write
 * ({@code applied}, {@code version}, {@code replayed}, {@code rememberedMillis}), while in code it is
 * a {@link PutOutcome.Result}.
 */
class PutOutcomeJsonTest {
    private final ObjectMapper mapper = Json.mapper(1 << 20);

    @Test
    void eachResult_roundTrips_throughTheWireShape() throws Exception {
        for (PutOutcome o : new PutOutcome[] {PutOutcome.applied(7).remembering(60_000), PutOutcome.superseded(9),
                PutOutcome.replayed(5)}) {
            JsonNode json = mapper.readTree(mapper.writeValueAsString(o));
            assertThat(json.has("result")).isFalse();
            assertThat(json.get("applied").asBoolean()).isEqualTo(o.applied());
            assertThat(json.get("replayed").asBoolean()).isEqualTo(o.replayed());
            assertThat(json.get("version").asLong()).isEqualTo(o.version());
            assertThat(mapper.readValue(mapper.writeValueAsString(o), PutOutcome.class)).isEqualTo(o);
        }
    }

    @Test
    void theJsonOfAnOlderNode_reads_asTheSameResult() throws Exception {
        assertThat(mapper.readValue("{\"applied\":true,\"version\":3,\"replayed\":false,\"rememberedMillis\":0}",
                PutOutcome.class)).isEqualTo(PutOutcome.applied(3));
        assertThat(mapper.readValue("{\"applied\":false,\"version\":4,\"replayed\":false,\"rememberedMillis\":0}",
                PutOutcome.class).result()).isEqualTo(PutOutcome.Result.SUPERSEDED);
        assertThat(mapper.readValue("{\"applied\":true,\"version\":2,\"replayed\":true,\"rememberedMillis\":0}",
                PutOutcome.class)).isEqualTo(PutOutcome.replayed(2));
    }

    @Test
    void onlyTooLarge_isTooLarge_andNeverApplied() {
        assertThat(PutOutcome.ofTooLarge().tooLarge()).isTrue();
        assertThat(PutOutcome.ofTooLarge().applied()).isFalse();
        assertThat(PutOutcome.superseded(0).tooLarge()).isFalse();
        assertThat(PutOutcome.replayed(1).applied()).isTrue();
    }
}
