package dev.dcache.client;

import dev.dcache.client.StubServer.Reply;
import dev.dcache.client.error.BadRequestException;
import dev.dcache.client.error.ConnectionException;
import dev.dcache.client.error.OutcomeUnknownException;
import dev.dcache.client.error.ServerException;
import dev.dcache.client.error.UnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which failures are retried, how long between tries, and that a write keeps its request id throughout. */
class DcacheClientRetryTest {
    private static final Reply WRITTEN = Reply.json(200, "{\"key\":\"k\",\"version\":7,\"replicas\":2}");
    private static final Reply BUSY = Reply.error(503, "at its limits", "Retry-After", "1");

    @Test
    void put_503WithRetryAfter_retriesWithTheSameRequestIdAfterRetryAfter() throws IOException {
        RecordingPause pause = RecordingPause.immediate();
        try (StubServer server = new StubServer(BUSY, BUSY, WRITTEN);
             DcacheClient client = pause.client(server.uri()).build()) {
            WriteResult r = client.put("k", "v");

            assertThat(r).isEqualTo(new WriteResult("k", 7, 2));
            List<StubServer.Seen> seen = server.seen();
            assertThat(seen).hasSize(3);
            String id = seen.get(0).header("X-Request-Id");
            assertThat(id).matches("[A-Za-z0-9._:-]{1,128}");
            assertThat(seen).allSatisfy(s -> assertThat(s.header("X-Request-Id")).isEqualTo(id));
            assertThat(pause.delays()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
        }
    }

    @Test
    void put_twoCalls_eachHasItsOwnRequestId() throws IOException {
        try (StubServer server = new StubServer(WRITTEN);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            client.put("k", 1);
            client.put("k", 1);

            assertThat(server.seen()).extracting(s -> s.header("X-Request-Id")).doesNotHaveDuplicates();
        }
    }

    @Test
    void get_503Throughout_throwsUnavailableAfterMaxRetriesWithRetryAfterCapped() throws IOException {
        RecordingPause pause = RecordingPause.immediate();
        try (StubServer server = new StubServer(Reply.error(503, "no owner reachable", "Retry-After", "30"));
             DcacheClient client = pause.client(server.uri()).maxRetries(2).backoffCap(Duration.ofSeconds(3)).build()) {
            assertThatThrownBy(() -> client.get("k"))
                    .isInstanceOfSatisfying(UnavailableException.class, e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.getMessage()).contains("no owner reachable");
                        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
                    });
            assertThat(server.seen()).hasSize(3);
            assertThat(pause.delays()).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(3));
        }
    }

    @Test
    void get_503WithoutRetryAfter_backsOffExponentiallyWithinBounds() throws IOException {
        RecordingPause pause = RecordingPause.immediate();
        try (StubServer server = new StubServer(Reply.error(503, "busy"));
             DcacheClient client = pause.client(server.uri()).maxRetries(5).backoffBase(Duration.ofMillis(100))
                     .backoffCap(Duration.ofMillis(500)).build()) {
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(UnavailableException.class);

            List<Duration> d = pause.delays();
            assertThat(d).hasSize(5);
            long[][] bounds = {{50, 100}, {100, 200}, {200, 400}, {250, 500}, {250, 500}};
            for (int i = 0; i < 5; i++) {
                assertThat(d.get(i).toMillis()).as("wait before retry %d", i + 1).isBetween(bounds[i][0], bounds[i][1]);
            }
        }
    }

    @Test
    void put_400_isNotRetried() throws IOException {
        try (StubServer server = new StubServer(Reply.error(400, "'ttl' must be a whole number"), WRITTEN);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            assertThatThrownBy(() -> client.put("k", "v"))
                    .isInstanceOfSatisfying(BadRequestException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).contains("'ttl' must be a whole number");
                    });
            assertThat(server.seen()).hasSize(1);
        }
    }

    @Test
    void get_500_isNotRetried() throws IOException {
        try (StubServer server = new StubServer(Reply.error(500, "bug"));
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(ServerException.class)
                    .isNotInstanceOf(UnavailableException.class);
            assertThat(server.seen()).hasSize(1);
        }
    }

    @Test
    void get_firstHostRefusesConnections_isAnsweredByTheNextHost() throws IOException {
        try (StubServer live = new StubServer(Reply.json(200, "{\"key\":\"k\",\"value\":1,\"version\":3}"));
             DcacheClient client = RecordingPause.immediate().client(deadHost(), live.uri()).build()) {
            for (int i = 0; i < 4; i++) { // round robin: two calls start on the dead host
                assertThat(client.get("k")).map(Entry::version).contains(3L);
            }
            assertThat(live.seen()).hasSize(4);
        }
    }

    @Test
    void put_everyHostRefuses_throwsConnectionExceptionAfterMaxRetries() {
        RecordingPause pause = RecordingPause.immediate();
        try (DcacheClient client = pause.client(deadHost(), deadHost()).maxRetries(3).build()) {
            assertThatThrownBy(() -> client.put("k", "v"))
                    .isInstanceOf(ConnectionException.class)
                    .hasMessageContaining("POST");
            assertThat(pause.delays()).hasSize(3);
        }
    }

    @Test
    void get_noAnswerInTime_throwsConnectionExceptionOnTimeout() throws IOException {
        try (StubServer server = new StubServer(Reply.hanging());
             DcacheClient client = RecordingPause.immediate().client(server.uri()).maxRetries(1)
                     .requestTimeout(Duration.ofMillis(200)).build()) {
            assertThatThrownBy(() -> client.get("k"))
                    .isInstanceOf(ConnectionException.class)
                    .hasRootCauseInstanceOf(HttpTimeoutException.class);
            assertThat(server.seen()).hasSize(2);
        }
    }

    static Stream<Reply> unknownOutcomes() {
        return Stream.of(Reply.hanging(), Reply.error(504, "outcome unknown"));
    }

    @ParameterizedTest
    @MethodSource("unknownOutcomes")
    void put_firstTryOfUnknownOutcome_isSentAgainWithTheSameRequestIdByDefault(Reply first) throws IOException {
        try (StubServer server = new StubServer(first, WRITTEN);
             DcacheClient client = RecordingPause.immediate().client(server.uri())
                     .requestTimeout(Duration.ofMillis(200)).build()) {
            assertThat(client.put("k", "v").version()).isEqualTo(7);

            List<StubServer.Seen> seen = server.seen();
            assertThat(seen).hasSize(2);
            assertThat(seen.get(1).header("X-Request-Id")).isEqualTo(seen.get(0).header("X-Request-Id"));
        }
    }

    @Test
    void put_noAnswerInTimeWithRetryOutcomeUnknownOff_throwsOutcomeUnknownAtOnce() throws IOException {
        try (StubServer server = new StubServer(Reply.hanging(), WRITTEN);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).retryOutcomeUnknown(false)
                     .requestTimeout(Duration.ofMillis(200)).build()) {
            assertThatThrownBy(() -> client.put("k", "v"))
                    .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.status()).isZero());
            assertThat(server.seen()).hasSize(1);
        }
    }

    @Test
    void delete_504WithRetryOutcomeUnknownOff_throwsOutcomeUnknown() throws IOException {
        try (StubServer server = new StubServer(Reply.error(504, "outcome unknown"));
             DcacheClient client = RecordingPause.immediate().client(server.uri()).retryOutcomeUnknown(false).build()) {
            assertThatThrownBy(() -> client.delete("k"))
                    .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.status()).isEqualTo(504));
            assertThat(server.seen()).hasSize(1);
        }
    }

    @Test
    void put_504Then503Throughout_throwsOutcomeUnknownNotUnavailable() throws IOException {
        try (StubServer server = new StubServer(Reply.error(504, "outcome unknown"), BUSY);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).maxRetries(2).build()) {
            assertThatThrownBy(() -> client.put("k", "v"))
                    .isInstanceOf(OutcomeUnknownException.class)
                    .hasCauseInstanceOf(UnavailableException.class)
                    .hasMessageContaining("earlier try");
            assertThat(server.seen()).hasSize(3);
        }
    }

    @Test
    void putAsync_cancelledWhileWaitingToRetry_sendsNoMoreTries() throws Exception {
        RecordingPause pause = RecordingPause.holding();
        try (StubServer server = new StubServer(BUSY, WRITTEN);
             DcacheClient client = pause.client(server.uri()).build()) {
            CompletableFuture<WriteResult> f = client.putAsync("k", Map.of("a", 1), null);
            pause.awaitDelays(1);

            f.cancel(true);
            pause.runHeld();

            assertThat(f).isCancelled();
            assertThat(server.seen()).hasSize(1);
        }
    }

    /** A loopback port nothing listens on: connections to it are refused. */
    private static URI deadHost() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
