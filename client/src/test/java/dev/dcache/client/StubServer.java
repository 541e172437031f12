package dev.dcache.client;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's {@link HttpServer} on an ephemeral loopback port, answering from a script: each request
 * takes the next scripted {@link Reply} (the last one repeats), and is recorded as it arrived.
 */
final class StubServer implements AutoCloseable {
    /** A request as the server saw it: the path still percent-encoded. */
    record Seen(String method, String rawPath, String rawQuery, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A scripted answer; {@code hang} holds it until the server closes (for timeouts). */
    record Reply(int status, Map<String, String> headers, byte[] body, boolean hang) {
        static Reply json(int status, String json, String... headers) {
            Map<String, String> h = new java.util.HashMap<>();
            h.put("Content-Type", "application/json");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                h.put(headers[i], headers[i + 1]);
            }
            return new Reply(status, h, json.getBytes(StandardCharsets.UTF_8), false);
        }

        static Reply error(int status, String message, String... headers) {
            return json(status, "{\"error\":\"" + message + "\"}", headers);
        }

        static Reply empty(int status, String... headers) {
            Reply r = json(status, "", headers);
            return new Reply(status, r.headers(), new byte[0], false);
        }

        static Reply hanging() {
            return new Reply(200, Map.of(), new byte[0], true);
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch closing = new CountDownLatch(1);
    /** Guarded by this. */
    private final Deque<Reply> script = new ArrayDeque<>();
    /** Guarded by this. */
    private final List<Seen> seen = new ArrayList<>();

    StubServer(Reply... replies) throws IOException {
        script.addAll(List.of(replies));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    synchronized List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void handle(HttpExchange x) throws IOException {
        Reply reply;
        synchronized (this) {
            seen.add(new Seen(x.getRequestMethod(), x.getRequestURI().getRawPath(), x.getRequestURI().getRawQuery(),
                    x.getRequestHeaders(), x.getRequestBody().readAllBytes()));
            reply = script.size() > 1 ? script.poll() : script.peek();
        }
        if (reply.hang()) {
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.close();
            return;
        }
        reply.headers().forEach((k, v) -> x.getResponseHeaders().add(k, v));
        boolean noBody = reply.body().length == 0 || x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(reply.status(), noBody ? -1 : reply.body().length);
        if (!noBody) {
            x.getResponseBody().write(reply.body());
        }
        x.close();
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
