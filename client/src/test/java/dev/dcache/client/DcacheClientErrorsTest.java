package dev.dcache.client;

import dev.dcache.client.StubServer.Reply;
import dev.dcache.client.error.BadRequestException;
import dev.dcache.client.error.DcacheException;
import dev.dcache.client.error.NotAcceptableException;
import dev.dcache.client.error.PayloadTooLargeException;
import dev.dcache.client.error.ServerException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which exception each error answer becomes, carrying the server's message and status. */
class DcacheClientErrorsTest {
    private static Throwable failure(Reply reply, java.util.function.Consumer<DcacheClient> call) throws IOException {
        try (StubServer server = new StubServer(reply);
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            try {
                call.accept(client);
            } catch (RuntimeException e) {
                return e;
            }
            throw new AssertionError("no exception");
        }
    }

    @Test
    void get_406_isNotAcceptable() throws IOException {
        assertThat(failure(Reply.error(406, "Accept allows neither"), c -> c.getRaw("k")))
                .isInstanceOf(NotAcceptableException.class).hasMessageContaining("Accept allows neither")
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.status()).isEqualTo(406));
    }

    @Test
    void put_413_isPayloadTooLarge() throws IOException {
        assertThat(failure(Reply.error(413, "value is 2000000 bytes"), c -> c.put("k", "v")))
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("2000000");
    }

    @Test
    void put_415_isBadRequestWithItsStatus() throws IOException {
        assertThat(failure(Reply.error(415, "not JSON"), c -> c.put("k", "v")))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.status()).isEqualTo(415));
    }

    @Test
    void cluster_404_isAnErrorNotAMissingKey() throws IOException {
        assertThat(failure(Reply.error(404, "not found"), DcacheClient::cluster))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void get_502WithAnHtmlPage_isServerErrorShowingTheBody() throws IOException {
        Reply page = new Reply(502, Map.of("Content-Type", "text/html"),
                "<html>Bad Gateway</html>".getBytes(StandardCharsets.UTF_8), false);
        assertThat(failure(page, c -> c.get("k")))
                .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(502))
                .hasMessageContaining("Bad Gateway");
    }

    @Test
    void get_200ThatIsNotJson_isDcacheExceptionNamingTheHost() throws IOException {
        Reply notJson = new Reply(200, Map.of("Content-Type", "text/html"),
                "<html/>".getBytes(StandardCharsets.UTF_8), false);
        assertThat(failure(notJson, c -> c.get("k"))).isExactlyInstanceOf(DcacheException.class)
                .hasMessageContaining("127.0.0.1").hasMessageContaining("not JSON");
    }

    @Test
    void getAsync_400_completesExceptionallyWithTheTypedException() throws IOException {
        try (StubServer server = new StubServer(Reply.error(400, "key too long"));
             DcacheClient client = RecordingPause.immediate().client(server.uri()).build()) {
            assertThatThrownBy(() -> client.getAsync("k").join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(BadRequestException.class).hasMessageContaining("key too long");
        }
    }
}
