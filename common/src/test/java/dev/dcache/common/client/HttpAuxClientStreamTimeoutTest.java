package dev.dcache.common.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.ring.NodeAddress;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A streamed batch answer that stops halfway (its node paused, or cut off mid-answer) fails within
 * the request timeout: the JDK client's own timeout ends with the headers.
 */
class HttpAuxClientStreamTimeoutTest {
    @Test
    void getBatch_answerStallsAfterTheHeaders_failsWithATimeout_andLeavesTheThreadUninterrupted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             HttpAuxClient client = new HttpAuxClient(new ObjectMapper(), Duration.ofSeconds(1), Duration.ofMillis(500),
                     null)) {
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    in.read(buf); // the request (small enough for one read)
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                            + "[{\"key\":\"k\",").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    release.await(30, TimeUnit.SECONDS); // then nothing more: a stalled answer
                } catch (Exception e) {
                    // the client gave up and closed
                }
            });
            NodeAddress node = new NodeAddress("aux-x", "127.0.0.1", server.getLocalPort());
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.getBatch(node, List.of("k")))
                    .isInstanceOfSatisfying(AuxCallException.class,
                            e -> assertThat(e.kind()).isEqualTo(AuxCallException.Kind.TIMEOUT));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).as("failed after, ms").isLessThan(10_000);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        } finally {
            release.countDown();
        }
    }
}
