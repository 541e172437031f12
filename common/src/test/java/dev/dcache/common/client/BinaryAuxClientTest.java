package dev.dcache.common.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.time.Ticker;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.ReadReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The promises the master's asynchronous data path relies on: starting a call never blocks the
 * caller (it runs on Jetty's selector thread), and a node that stops reading makes calls fail
 * instead of filling socket buffers until a writer blocks.
 */
class BinaryAuxClientTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        for (Socket s : accepted) {
            s.close();
        }
    }

    @Test
    void startRead_returnsBeforeTheConnectionIsMade() throws Exception {
        CountDownLatch healthAsked = new CountDownLatch(1);
        CountDownLatch answerHealth = new CountDownLatch(1);
        ServerSocket binary = stalledBinaryPort();
        NodeAddress node = healthServer(binary.getLocalPort(), () -> {
            healthAsked.countDown();
            await(answerHealth); // the port lookup hangs until the test lets it go
        });
        BinaryAuxClient client = client(Duration.ofSeconds(5));

        CompletableFuture<ReadReply> started = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> client.startRead(node, "k"));

        assertThat(healthAsked.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(started).as("still connecting, yet the caller already has its future").isNotDone();
        answerHealth.countDown();
    }

    @Test
    void refusedConnection_failsTheFuture_withRefused() {
        int closedPort = freePort();
        NodeAddress node = healthServer(closedPort, () -> { });
        BinaryAuxClient client = client(Duration.ofSeconds(5));

        CompletableFuture<ReadReply> started = client.startRead(node, "k");

        assertThatThrownBy(() -> started.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(AuxCallException.class,
                        e -> assertThat(e.kind()).isEqualTo(AuxCallException.Kind.REFUSED));
    }

    @Test
    void nodeThatStopsReading_callsPastTheCapFailAtOnce_andTheRestTimeOut() throws Exception {
        ServerSocket binary = stalledBinaryPort();
        NodeAddress node = healthServer(binary.getLocalPort(), () -> { });
        BinaryAuxClient client = client(Duration.ofMillis(500));
        client.startRead(node, "warm-up").exceptionally(e -> null).get(10, TimeUnit.SECONDS); // connected, timed out

        List<CompletableFuture<ReadReply>> calls = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < BinaryAuxClient.MAX_PENDING + 10; i++) {
                calls.add(client.startRead(node, "key-" + i));
            }
        });

        List<CompletableFuture<ReadReply>> overCap = calls.subList(BinaryAuxClient.MAX_PENDING, calls.size());
        assertThat(overCap).allSatisfy(f -> assertThat(f).isCompletedExceptionally());
        assertThat(kindOf(overCap.get(0))).isEqualTo(AuxCallException.Kind.TIMEOUT);
        for (CompletableFuture<ReadReply> f : calls.subList(0, BinaryAuxClient.MAX_PENDING)) {
            assertThat(kindOf(f)).isEqualTo(AuxCallException.Kind.TIMEOUT); // the deadline sweeper
        }
    }

    @Test
    void callerOnAPlatformThread_neverBlocks_evenWhenTheNodeStopsReadingLargeFrames() throws Exception {
        ServerSocket binary = stalledBinaryPort();
        NodeAddress node = healthServer(binary.getLocalPort(), () -> { });
        BinaryAuxClient client = client(Duration.ofSeconds(1));
        client.startRead(node, "warm-up").exceptionally(e -> null).get(10, TimeUnit.SECONDS); // connected
        String value = "v".repeat(8 * 1024);

        // 2000 x 8 KiB = 16 MiB, far more than the socket buffers of a connection nobody reads;
        // assertTimeoutPreemptively runs this on a platform thread, like Jetty's selector
        List<CompletableFuture<dev.dcache.common.wire.PutOutcome>> calls = assertTimeoutPreemptively(
                Duration.ofSeconds(5), () -> {
                    List<CompletableFuture<dev.dcache.common.wire.PutOutcome>> started = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        started.add(client.startPut(node, new Entry("key-" + i, value, i + 1, 0)));
                    }
                    return started;
                });

        for (CompletableFuture<dev.dcache.common.wire.PutOutcome> f : calls) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(AuxCallException.class);
        }
    }

    @Test
    void callTimesOut_whenTheTickerPassesItsDeadline_andNotBefore() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        ServerSocket binary = silentBinaryPort(requestArrived);
        NodeAddress node = healthServer(binary.getLocalPort(), () -> { });
        FakeClock ticker = new FakeClock();
        // an hour of real time would never pass here: only the fake ticker can end this call
        BinaryAuxClient client = client(Duration.ofHours(1), ticker);

        CompletableFuture<ReadReply> call = client.startRead(node, "k");
        assertThat(requestArrived.await(10, TimeUnit.SECONDS)).as("the request reached the node").isTrue();

        ticker.advance(Duration.ofHours(1).minusMillis(1));
        client.sweepDeadlines();
        assertThat(call).as("a millisecond before its deadline").isNotDone();

        ticker.advance(Duration.ofMillis(1));
        client.sweepDeadlines();
        assertThat(call).as("at its deadline, failed by this sweep").isCompletedExceptionally();
        assertThat(kindOf(call)).isEqualTo(AuxCallException.Kind.TIMEOUT);
    }

    private static AuxCallException.Kind kindOf(CompletableFuture<ReadReply> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return ((AuxCallException) e.getCause()).kind();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the call succeeded");
    }

    private BinaryAuxClient client(Duration requestTimeout) {
        return client(requestTimeout, Ticker.system());
    }

    private BinaryAuxClient client(Duration requestTimeout, Ticker ticker) {
        HttpAuxClient http = new HttpAuxClient(new ObjectMapper(), Duration.ofSeconds(2), Duration.ofSeconds(5), null);
        BinaryAuxClient client = new BinaryAuxClient(http, Duration.ofSeconds(2), requestTimeout, null, 1, ticker);
        open.add(client);
        open.add(http);
        return client;
    }

    /** A binary port that accepts connections and never reads from them. */
    private ServerSocket stalledBinaryPort() throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(s);
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try {
                    accepted.add(s.accept());
                } catch (IOException e) {
                    return;
                }
            }
        });
        return s;
    }

    /** A binary port that reads what it is sent and never answers; {@code firstByte} opens on the first byte. */
    private ServerSocket silentBinaryPort(CountDownLatch firstByte) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(s);
        Thread.ofVirtual().start(() -> {
            try {
                Socket c = s.accept();
                accepted.add(c);
                var in = c.getInputStream();
                while (in.read() >= 0) {
                    firstByte.countDown();
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        return s;
    }

    /** An aux node's {@code /health} naming {@code binaryPort}; {@code before} runs before each answer. */
    private NodeAddress healthServer(int binaryPort, Runnable before) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/health", exchange -> {
                before.run();
                byte[] body = ("{\"status\":\"up\",\"id\":\"aux-1\",\"role\":\"aux\",\"binaryPort\":" + binaryPort + "}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            open.add(() -> server.stop(0));
            return new NodeAddress("aux-1", "127.0.0.1", server.getAddress().getPort());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
